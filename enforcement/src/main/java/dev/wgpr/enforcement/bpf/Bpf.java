package dev.wgpr.enforcement.bpf;

import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import dev.wgpr.common.linux.OwnedFd;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** BPF operations that belong to no object: libbpf's version, bare maps, queries, statistics. */
public final class Bpf {
    private Bpf() {}

    /** {@code enum bpf_map_type}, the kinds wg-pr uses or probes. */
    public enum MapType {
        LPM_TRIE(11),
        RINGBUF(27);

        final int value;

        MapType(int value) {
            this.value = value;
        }
    }

    /** {@code enum bpf_attach_type}, the cgroup hooks the kernel probes attach by hand. */
    public enum AttachType {
        CGROUP_INET4_CONNECT(10),
        CGROUP_INET6_CONNECT(11);

        /** The attach type of a {@code cgroup/HOOK} section name's hook. */
        public int value() {
            return value;
        }

        final int value;

        AttachType(int value) {
            this.value = value;
        }
    }

    /** What libbpf says about itself. */
    public record LibbpfVersion(int major, int minor, String string) {
        @Override
        public String toString() {
            return major + "." + minor + " (" + string + ")";
        }
    }

    /** {@code libbpf_major_version}, {@code libbpf_minor_version}, {@code libbpf_version_string}. */
    public static LibbpfVersion libbpfVersion() {
        return new LibbpfVersion(Libbpf.majorVersion(), Libbpf.minorVersion(), Libbpf.versionString());
    }

    /**
     * {@code bpf_map_create}: a map of its own, outside any object (for a ring buffer, {@code keySize}
     * and {@code valueSize} are 0 and {@code maxEntries} is its size in bytes, a power-of-two multiple
     * of the page size). The map lives until the returned descriptor is closed.
     */
    public static OwnedFd createMap(MapType type, String name, int keySize, int valueSize, int maxEntries)
            throws BpfException {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = Libbpf.allocateCallState(call);
            Libbpf.clearLog();
            int fd = (int) Libbpf.bpf_map_create$MH()
                    .invokeExact(
                            state,
                            type.value,
                            call.allocateFrom(name),
                            keySize,
                            valueSize,
                            maxEntries,
                            MemorySegment.NULL);
            if (fd < 0) {
                throw BpfException.of("bpf_map_create " + type + " " + name, -fd);
            }
            return new OwnedFd(fd, "BPF map " + name);
        } catch (BpfException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    /**
     * The kernel's internal {@code ENOTSUPP} (not {@code EOPNOTSUPP}), which some BPF commands return to
     * user space as is.
     */
    public static final int ENOTSUPP = 524;

    /** {@code BPF_F_NO_PREALLOC}: required for LPM tries. */
    public static final int BPF_F_NO_PREALLOC = 1;

    /** {@link #createMap(MapType, String, int, int, int)} with {@code map_flags}. */
    public static OwnedFd createMap(MapType type, String name, int keySize, int valueSize, int maxEntries, int flags)
            throws BpfException {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = Libbpf.allocateCallState(call);
            MemorySegment opts = call.allocate(Libbpf.MAP_CREATE_OPTS_SIZE, 8);
            opts.set(ValueLayout.JAVA_LONG, 0, Libbpf.MAP_CREATE_OPTS_SIZE);
            opts.set(ValueLayout.JAVA_INT, Libbpf.MAP_CREATE_OPTS_MAP_FLAGS, flags);
            Libbpf.clearLog();
            int fd = (int) Libbpf.bpf_map_create$MH()
                    .invokeExact(state, type.value, call.allocateFrom(name), keySize, valueSize, maxEntries, opts);
            if (fd < 0) {
                throw BpfException.of("bpf_map_create " + type + " " + name, -fd);
            }
            return new OwnedFd(fd, "BPF map " + name);
        } catch (BpfException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    /** {@code bpf_map_update_elem} on a map known by its descriptor. */
    public static void update(int mapFd, byte[] key, byte[] value, long flags) throws BpfException {
        try (Arena call = Arena.ofConfined()) {
            update(call, mapFd, key, value, flags);
        }
    }

    /** {@code bpf_map_update_elem}, allocating in {@code call} (for loops that reuse one arena). */
    public static void update(Arena call, int mapFd, byte[] key, byte[] value, long flags) throws BpfException {
        prepareUpdate(call, mapFd, key, value, flags).run();
    }

    /**
     * A {@code bpf_map_update_elem} whose arguments are already in native memory (in {@code call}), so
     * that {@link PreparedUpdate#run} is the call alone: for callers that time the system call itself.
     */
    public static PreparedUpdate prepareUpdate(Arena call, int mapFd, byte[] key, byte[] value, long flags) {
        return new PreparedUpdate(
                Libbpf.allocateCallState(call),
                mapFd,
                call.allocateFrom(ValueLayout.JAVA_BYTE, key),
                call.allocateFrom(ValueLayout.JAVA_BYTE, value),
                flags);
    }

    /** See {@link #prepareUpdate}; valid while its arena is open. */
    public static final class PreparedUpdate {
        private final MemorySegment state;
        private final int mapFd;
        private final MemorySegment key;
        private final MemorySegment value;
        private final long flags;

        private PreparedUpdate(MemorySegment state, int mapFd, MemorySegment key, MemorySegment value, long flags) {
            this.state = state;
            this.mapFd = mapFd;
            this.key = key;
            this.value = value;
            this.flags = flags;
        }

        public void run() throws BpfException {
            try {
                int result = (int) Libbpf.bpf_map_update_elem$MH().invokeExact(state, mapFd, key, value, flags);
                if (result < 0) {
                    throw BpfException.of("bpf_map_update_elem (fd " + mapFd + ")", -result);
                }
            } catch (BpfException e) {
                throw e;
            } catch (Throwable t) {
                throw Libc.unexpected(t);
            }
        }
    }

    /**
     * {@code bpf_map_update_batch}: {@code count} entries in one system call; {@code keys} and
     * {@code values} hold them back to back. Partial success throws, naming how many went in.
     */
    public static void updateBatch(int mapFd, byte[] keys, byte[] values, int count, long flags) throws BpfException {
        if (count == 0) {
            return;
        }
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = Libbpf.allocateCallState(call);
            MemorySegment n = call.allocateFrom(ValueLayout.JAVA_INT, count);
            // struct bpf_map_batch_opts {size_t sz; __u64 elem_flags; __u64 flags;}
            MemorySegment opts = call.allocate(24, 8);
            opts.set(ValueLayout.JAVA_LONG, 0, 24);
            opts.set(ValueLayout.JAVA_LONG, 8, flags);
            Libbpf.clearLog();
            int result = (int) Libbpf.bpf_map_update_batch$MH()
                    .invokeExact(
                            state,
                            mapFd,
                            call.allocateFrom(ValueLayout.JAVA_BYTE, keys),
                            call.allocateFrom(ValueLayout.JAVA_BYTE, values),
                            n,
                            opts);
            if (result < 0) {
                throw BpfException.of(
                        "bpf_map_update_batch (fd " + mapFd + ", " + n.get(ValueLayout.JAVA_INT, 0) + " of " + count
                                + " done)",
                        -result);
            }
        } catch (BpfException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    /** {@code bpf_map_delete_elem} on a map known by its descriptor; false when there was no such key. */
    public static boolean delete(int mapFd, byte[] key) throws BpfException {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = Libbpf.allocateCallState(call);
            Libbpf.clearLog();
            int result = (int) Libbpf.bpf_map_delete_elem$MH()
                    .invokeExact(state, mapFd, call.allocateFrom(ValueLayout.JAVA_BYTE, key));
            if (result == -Libc.ENOENT) {
                return false;
            }
            if (result < 0) {
                throw BpfException.of("bpf_map_delete_elem (fd " + mapFd + ")", -result);
            }
            return true;
        } catch (BpfException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    /** {@code bpf_map_lookup_elem} on a map known by its descriptor: the value, {@code valueSize} bytes. */
    public static byte[] lookup(int mapFd, byte[] key, int valueSize) throws BpfException {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = Libbpf.allocateCallState(call);
            MemorySegment value = call.allocate(valueSize, 8);
            Libbpf.clearLog();
            int result = (int) Libbpf.bpf_map_lookup_elem$MH()
                    .invokeExact(state, mapFd, call.allocateFrom(ValueLayout.JAVA_BYTE, key), value);
            if (result < 0) {
                throw BpfException.of("bpf_map_lookup_elem (fd " + mapFd + ")", -result);
            }
            return value.toArray(ValueLayout.JAVA_BYTE);
        } catch (BpfException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    /** The kernel's id of the program {@code programFd} ({@code bpf_obj_get_info_by_fd}). */
    public static int programId(int programFd) throws BpfException {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = Libbpf.allocateCallState(call);
            MemorySegment info = call.allocate(PROG_INFO_SIZE, 8);
            MemorySegment length = call.allocateFrom(ValueLayout.JAVA_INT, (int) PROG_INFO_SIZE);
            int result = (int) Libbpf.bpf_obj_get_info_by_fd$MH().invokeExact(state, programFd, info, length);
            if (result < 0) {
                throw BpfException.of("bpf_obj_get_info_by_fd (fd " + programFd + ")", -result);
            }
            return info.get(ValueLayout.JAVA_INT, 4);
        } catch (BpfException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    /** {@code bpf_obj_pin}: pins the map, program or link {@code fd} at {@code path} in a bpffs. */
    public static void pin(int fd, Path path) throws BpfException {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = Libbpf.allocateCallState(call);
            Libbpf.clearLog();
            int result = (int) Libbpf.bpf_obj_pin$MH().invokeExact(state, fd, call.allocateFrom(path.toString()));
            if (result < 0) {
                throw BpfException.of("bpf_obj_pin at " + path, -result);
            }
        } catch (BpfException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    /** {@code bpf_obj_get}: a descriptor for what is pinned at {@code path}. */
    public static OwnedFd pinned(Path path) throws BpfException {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = Libbpf.allocateCallState(call);
            Libbpf.clearLog();
            int fd = (int) Libbpf.bpf_obj_get$MH().invokeExact(state, call.allocateFrom(path.toString()));
            if (fd < 0) {
                throw BpfException.of("bpf_obj_get " + path, -fd);
            }
            return new OwnedFd(fd, "pinned BPF object " + path);
        } catch (BpfException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    /** {@code libbpf_num_possible_cpus}: how many values a per-CPU map holds per key. */
    public static int possibleCpus() {
        try {
            int n = (int) Libbpf.libbpf_num_possible_cpus$MH().invokeExact();
            if (n <= 0) {
                throw new IllegalStateException("libbpf_num_possible_cpus: " + n);
            }
            return n;
        } catch (IllegalStateException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    /** A program's run statistics, counted while {@link #enableRunTimeStats()} is in effect. */
    public record RunStats(long runTimeNs, long runCount) {
        /** Nanoseconds per run since {@code earlier}, or NaN when it did not run. */
        public double nsPerRunSince(RunStats earlier) {
            long runs = runCount - earlier.runCount;
            return runs == 0 ? Double.NaN : (double) (runTimeNs - earlier.runTimeNs) / runs;
        }
    }

    /** {@code bpf_obj_get_info_by_fd} on a program: its {@code run_time_ns} and {@code run_cnt}. */
    public static RunStats runStats(int programFd) throws BpfException {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = Libbpf.allocateCallState(call);
            MemorySegment info = call.allocate(PROG_INFO_SIZE, 8);
            MemorySegment length = call.allocateFrom(ValueLayout.JAVA_INT, (int) PROG_INFO_SIZE);
            int result = (int) Libbpf.bpf_obj_get_info_by_fd$MH().invokeExact(state, programFd, info, length);
            if (result < 0) {
                throw BpfException.of("bpf_obj_get_info_by_fd (fd " + programFd + ")", -result);
            }
            return new RunStats(info.get(ValueLayout.JAVA_LONG, 192), info.get(ValueLayout.JAVA_LONG, 200));
        } catch (BpfException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    /** {@code sizeof(struct bpf_prog_info)} up to and including {@code run_cnt} (offsets 192, 200). */
    private static final long PROG_INFO_SIZE = 208;

    /**
     * {@code bpf_prog_query}: the ids of the programs attached directly to the cgroup {@code cgroup} at
     * {@code type} (not the ones inherited from ancestors).
     */
    public static List<Integer> attachedPrograms(Path cgroup, AttachType type) throws BpfException, ErrnoException {
        int cgroupFd = Libc.open(cgroup.toString(), Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
        try (Arena call = Arena.ofConfined()) {
            int capacity = 64; // BPF_CGROUP_MAX_PROGS
            MemorySegment state = Libbpf.allocateCallState(call);
            MemorySegment attachFlags = call.allocate(ValueLayout.JAVA_INT);
            MemorySegment ids = call.allocate(ValueLayout.JAVA_INT, capacity);
            MemorySegment count = call.allocateFrom(ValueLayout.JAVA_INT, capacity);
            int result = (int)
                    Libbpf.bpf_prog_query$MH().invokeExact(state, cgroupFd, type.value, 0, attachFlags, ids, count);
            if (result < 0) {
                throw BpfException.of("bpf_prog_query " + type + " on " + cgroup, -result);
            }
            List<Integer> attached = new ArrayList<>();
            for (int i = 0; i < count.get(ValueLayout.JAVA_INT, 0); i++) {
                attached.add(ids.getAtIndex(ValueLayout.JAVA_INT, i));
            }
            return attached;
        } catch (BpfException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        } finally {
            Libc.close(cgroupFd);
        }
    }

    /**
     * {@code bpf_enable_stats(BPF_STATS_RUN_TIME)}: the kernel counts run time and run count of every
     * program while the returned descriptor is open.
     */
    public static OwnedFd enableRunTimeStats() throws BpfException {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = Libbpf.allocateCallState(call);
            int fd = (int) Libbpf.bpf_enable_stats$MH().invokeExact(state, 0);
            if (fd < 0) {
                throw BpfException.of("bpf_enable_stats BPF_STATS_RUN_TIME", -fd);
            }
            return new OwnedFd(fd, "BPF run-time statistics");
        } catch (BpfException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }
}
