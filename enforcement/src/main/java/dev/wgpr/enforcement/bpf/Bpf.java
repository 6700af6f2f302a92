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
        HASH(1),
        ARRAY(2),
        PERCPU_ARRAY(6),
        LRU_HASH(9),
        LPM_TRIE(11),
        HASH_OF_MAPS(13),
        RINGBUF(27),
        TASK_STORAGE(29);

        final int value;

        MapType(int value) {
            this.value = value;
        }
    }

    /** {@code enum bpf_attach_type}, the cgroup hooks wg-pr uses. */
    public enum AttachType {
        CGROUP_INET_EGRESS(1),
        CGROUP_INET_SOCK_CREATE(2),
        CGROUP_INET4_BIND(8),
        CGROUP_INET6_BIND(9),
        CGROUP_INET4_CONNECT(10),
        CGROUP_INET6_CONNECT(11),
        CGROUP_UDP4_SENDMSG(14),
        CGROUP_UDP6_SENDMSG(15);

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
            int fd = (int) Libbpf.bpf_map_create$MH.invokeExact(
                    state, type.value, call.allocateFrom(name), keySize, valueSize, maxEntries, MemorySegment.NULL);
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
            int result =
                    (int) Libbpf.bpf_prog_query$MH.invokeExact(state, cgroupFd, type.value, 0, attachFlags, ids, count);
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
            int fd = (int) Libbpf.bpf_enable_stats$MH.invokeExact(state, 0);
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
