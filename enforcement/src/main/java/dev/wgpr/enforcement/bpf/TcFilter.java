package dev.wgpr.enforcement.bpf;

import dev.wgpr.common.linux.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Locale;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * A BPF classifier on a device's clsact ingress or egress hook, in direct-action mode ({@code bpf_tc_attach},
 * libbpf 1.1). Unlike a {@link BpfLink}, a tc filter is not a kernel object with a descriptor or a
 * pin: it lives on the device (and dies with it) until it is deleted by {@code (ifindex, handle,
 * priority)}. Whoever finds it later (teardown, adoption by a restarted daemon) finds it by those
 * three, in the device's network namespace: the caller's thread must be in it for every method here.
 *
 * @param ifindex the device, in the calling thread's network namespace
 * @param direction which of the device's clsact hooks
 * @param handle the filter's handle
 * @param priority the filter's priority (1..65535; lower runs first)
 */
public record TcFilter(int ifindex, Direction direction, int handle, int priority) {
    /** The clsact hook a filter sits on. */
    public enum Direction {
        INGRESS(Libbpf.BPF_TC_INGRESS),
        EGRESS(Libbpf.BPF_TC_EGRESS);

        private final int attachPoint;

        Direction(int attachPoint) {
            this.attachPoint = attachPoint;
        }
    }

    public TcFilter {
        Objects.requireNonNull(direction, "direction");
        if (ifindex <= 0) {
            throw new IllegalArgumentException("ifindex " + ifindex);
        }
        if (handle == 0 || priority <= 0 || priority > 0xffff) {
            throw new IllegalArgumentException("handle " + handle + ", priority " + priority);
        }
    }

    /**
     * Creates the clsact qdisc on the device if there is none. Returns whether this call created it
     * (so that only its creator removes it).
     */
    public boolean createHook() throws BpfException {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = Libbpf.allocateCallState(call);
            Libbpf.clearLog();
            int result = (int) Libbpf.bpf_tc_hook_create$MH().invokeExact(state, hook(call));
            if (result == -Libc.EEXIST) {
                return false;
            }
            if (result < 0) {
                throw BpfException.of("bpf_tc_hook_create on ifindex " + ifindex, -result);
            }
            return true;
        } catch (BpfException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    /** Removes the device's clsact qdisc (ingress and egress, with every filter on it). */
    public void destroyHook() throws BpfException {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = Libbpf.allocateCallState(call);
            MemorySegment hook = hook(call);
            hook.set(ValueLayout.JAVA_INT, Libbpf.TC_HOOK_ATTACH_POINT, Libbpf.BPF_TC_EGRESS | Libbpf.BPF_TC_INGRESS);
            Libbpf.clearLog();
            int result = (int) Libbpf.bpf_tc_hook_destroy$MH().invokeExact(state, hook);
            if (result < 0 && result != -Libc.ENOENT) {
                throw BpfException.of("bpf_tc_hook_destroy on ifindex " + ifindex, -result);
            }
        } catch (BpfException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    /** Attaches (or, with {@code replace}, replaces) program {@code programFd} as this filter. */
    public void attach(int programFd, boolean replace) throws BpfException {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = Libbpf.allocateCallState(call);
            MemorySegment opts = opts(call);
            opts.set(ValueLayout.JAVA_INT, Libbpf.TC_OPTS_PROG_FD, programFd);
            opts.set(ValueLayout.JAVA_INT, Libbpf.TC_OPTS_FLAGS, replace ? Libbpf.BPF_TC_F_REPLACE : 0);
            Libbpf.clearLog();
            int result = (int) Libbpf.bpf_tc_attach$MH().invokeExact(state, hook(call), opts);
            if (result < 0) {
                throw BpfException.of("bpf_tc_attach " + this, -result);
            }
        } catch (BpfException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    /** Deletes this filter; returns false when there was none. */
    public boolean detach() throws BpfException {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = Libbpf.allocateCallState(call);
            Libbpf.clearLog();
            int result = (int) Libbpf.bpf_tc_detach$MH().invokeExact(state, hook(call), opts(call));
            if (result == -Libc.ENOENT || result == -Libc.EINVAL || result == -Libc.ENODEV) {
                return false; // no such filter, no clsact qdisc, or no such device
            }
            if (result < 0) {
                throw BpfException.of("bpf_tc_detach " + this, -result);
            }
            return true;
        } catch (BpfException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    /** The id of the program attached as this filter, empty when there is no such filter. */
    public OptionalInt programId() throws BpfException {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = Libbpf.allocateCallState(call);
            MemorySegment opts = opts(call);
            Libbpf.clearLog();
            int result = (int) Libbpf.bpf_tc_query$MH().invokeExact(state, hook(call), opts);
            if (result == -Libc.ENOENT || result == -Libc.EINVAL || result == -Libc.ENODEV) {
                return OptionalInt.empty();
            }
            if (result < 0) {
                throw BpfException.of("bpf_tc_query " + this, -result);
            }
            return OptionalInt.of(opts.get(ValueLayout.JAVA_INT, Libbpf.TC_OPTS_PROG_ID));
        } catch (BpfException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    private MemorySegment hook(Arena arena) {
        MemorySegment hook = arena.allocate(Libbpf.TC_HOOK_SIZE, 8);
        hook.set(ValueLayout.JAVA_LONG, 0, Libbpf.TC_HOOK_SIZE);
        hook.set(ValueLayout.JAVA_INT, Libbpf.TC_HOOK_IFINDEX, ifindex);
        hook.set(ValueLayout.JAVA_INT, Libbpf.TC_HOOK_ATTACH_POINT, direction.attachPoint);
        return hook;
    }

    private MemorySegment opts(Arena arena) {
        MemorySegment opts = arena.allocate(Libbpf.TC_OPTS_SIZE, 8);
        opts.set(ValueLayout.JAVA_LONG, 0, Libbpf.TC_OPTS_SIZE);
        opts.set(ValueLayout.JAVA_INT, Libbpf.TC_OPTS_HANDLE, handle);
        opts.set(ValueLayout.JAVA_INT, Libbpf.TC_OPTS_PRIORITY, priority);
        return opts;
    }

    @Override
    public String toString() {
        return "tc " + direction.name().toLowerCase(Locale.ROOT) + " filter (ifindex " + ifindex + ", handle 0x"
                + Integer.toHexString(handle) + ", priority " + priority + ")";
    }
}
