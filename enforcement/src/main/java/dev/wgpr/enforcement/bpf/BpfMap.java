package dev.wgpr.enforcement.bpf;

import dev.wgpr.common.linux.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Optional;

/** One map of a {@link BpfObject} ({@code struct bpf_map *}); valid while the object is open. */
public final class BpfMap {
    /** {@code BPF_ANY}: create or update. */
    public static final long BPF_ANY = 0;
    /** {@code BPF_NOEXIST}: create only. */
    public static final long BPF_NOEXIST = 1;
    /** {@code BPF_EXIST}: update only. */
    public static final long BPF_EXIST = 2;

    private final BpfObject owner;
    private final String name;
    private final MemorySegment map;

    BpfMap(BpfObject owner, String name, MemorySegment map) {
        this.owner = owner;
        this.name = name;
        this.map = map;
    }

    public String name() {
        return name;
    }

    /** {@code bpf_map__fd}: the map's descriptor, owned by the object. */
    public int fd() {
        owner.requireLoaded("fd of map " + name);
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = Libbpf.allocateCallState(call);
            int fd = (int) Libbpf.bpf_map__fd$MH().invokeExact(state, map);
            if (fd < 0) {
                throw new IllegalStateException("map " + name + " has no fd (" + fd + ")");
            }
            return fd;
        } catch (IllegalStateException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    public int keySize() {
        owner.pointer();
        try {
            return (int) Libbpf.bpf_map__key_size$MH().invokeExact(map);
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    public int valueSize() {
        owner.pointer();
        try {
            return (int) Libbpf.bpf_map__value_size$MH().invokeExact(map);
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    /** {@code bpf_map_update_elem} with {@code flags} ({@link #BPF_ANY}, ...). */
    public void update(byte[] key, byte[] value, long flags) throws BpfException {
        int fd = fd();
        requireSize("key", key, keySize());
        requireSize("value", value, valueSize());
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = Libbpf.allocateCallState(call);
            int result = (int) Libbpf.bpf_map_update_elem$MH()
                    .invokeExact(
                            state,
                            fd,
                            call.allocateFrom(ValueLayout.JAVA_BYTE, key),
                            call.allocateFrom(ValueLayout.JAVA_BYTE, value),
                            flags);
            if (result < 0) {
                throw BpfException.of("bpf_map_update_elem " + name, -result);
            }
        } catch (BpfException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    /** {@code bpf_map_lookup_elem}: the value, or empty when the key is absent. */
    public Optional<byte[]> lookup(byte[] key) throws BpfException {
        int fd = fd();
        requireSize("key", key, keySize());
        // Per-CPU maps return one value per possible CPU; not needed yet, so refused loudly.
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = Libbpf.allocateCallState(call);
            MemorySegment value = call.allocate(valueSize(), 8);
            int result = (int) Libbpf.bpf_map_lookup_elem$MH()
                    .invokeExact(state, fd, call.allocateFrom(ValueLayout.JAVA_BYTE, key), value);
            if (result == -Libc.ENOENT) {
                return Optional.empty();
            }
            if (result < 0) {
                throw BpfException.of("bpf_map_lookup_elem " + name, -result);
            }
            return Optional.of(value.toArray(ValueLayout.JAVA_BYTE));
        } catch (BpfException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    /**
     * {@code bpf_map_lookup_elem} on a per-CPU map: one value per possible CPU, each padded to 8
     * bytes; empty when the key is absent.
     */
    public Optional<byte[][]> lookupPerCpu(byte[] key) throws BpfException {
        int fd = fd();
        requireSize("key", key, keySize());
        int cpus = Bpf.possibleCpus();
        int stride = (valueSize() + 7) & ~7;
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = Libbpf.allocateCallState(call);
            MemorySegment values = call.allocate((long) stride * cpus, 8);
            int result = (int) Libbpf.bpf_map_lookup_elem$MH()
                    .invokeExact(state, fd, call.allocateFrom(ValueLayout.JAVA_BYTE, key), values);
            if (result == -Libc.ENOENT) {
                return Optional.empty();
            }
            if (result < 0) {
                throw BpfException.of("bpf_map_lookup_elem " + name, -result);
            }
            byte[][] perCpu = new byte[cpus][];
            for (int cpu = 0; cpu < cpus; cpu++) {
                perCpu[cpu] = values.asSlice((long) cpu * stride, valueSize()).toArray(ValueLayout.JAVA_BYTE);
            }
            return Optional.of(perCpu);
        } catch (BpfException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    /** {@code bpf_obj_pin} of this map at {@code path} in a bpffs. */
    public void pin(Path path) throws BpfException {
        Bpf.pin(fd(), path);
    }

    /** {@code bpf_map_delete_elem}: whether the key was there. */
    public boolean delete(byte[] key) throws BpfException {
        int fd = fd();
        requireSize("key", key, keySize());
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = Libbpf.allocateCallState(call);
            int result = (int) Libbpf.bpf_map_delete_elem$MH()
                    .invokeExact(state, fd, call.allocateFrom(ValueLayout.JAVA_BYTE, key));
            if (result == -Libc.ENOENT) {
                return false;
            }
            if (result < 0) {
                throw BpfException.of("bpf_map_delete_elem " + name, -result);
            }
            return true;
        } catch (BpfException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    private void requireSize(String what, byte[] bytes, int size) {
        if (bytes.length != size) {
            throw new IllegalArgumentException(
                    name + ": " + what + " has " + bytes.length + " bytes, the map wants " + size);
        }
    }

    @Override
    public String toString() {
        return "BpfMap[" + name + " of " + owner.name() + "]";
    }
}
