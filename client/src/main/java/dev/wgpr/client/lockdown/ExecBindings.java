package dev.wgpr.client.lockdown;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.wgpr.common.linux.Downcalls;
import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import dev.wgpr.common.linux.Syscall;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.Map;

/**
 * {@code <unistd.h>}, {@code <linux/close_range.h>}, {@code <signal.h>}: which descriptors survive the exec,
 * the exec, and the signals that wait across it.
 */
public final class ExecBindings {
    private ExecBindings() {}

    private static final int F_SETFD = 2;
    private static final int CLOSE_RANGE_CLOEXEC = 1 << 2;

    /** {@code int close_range(unsigned first, unsigned last, int flags)} (glibc 2.34+). */
    private static final class CloseRange {
        static final MethodHandle MH =
                Downcalls.errno("close_range", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    }

    private static final int SIG_BLOCK = 0;
    private static final int SIG_UNBLOCK = 1;

    /** The kernel's signal set: 64 bits (glibc's {@code sigset_t} has 1024, of which it passes these). */
    private static final long KERNEL_SIGSET_SIZE = 8;

    /**
     * Blocks {@code signals} (numbers below 64) in the calling thread: an exec keeps the mask, so that they
     * wait for the program it runs, pending, until it has its handlers and unblocks them.
     */
    public static void blockInThisThread(int... signals) throws ErrnoException {
        mask(SIG_BLOCK, signals);
    }

    /** Undoes {@link #blockInThisThread}. */
    public static void unblockInThisThread(int... signals) throws ErrnoException {
        mask(SIG_UNBLOCK, signals);
    }

    /**
     * rt_sigprocmask(2) of the calling thread, through {@link Syscall} (the hand-over to the waiter blocks
     * and execs at once, where bindings of their own would cost more than the calls). What glibc's
     * pthread_sigmask adds, keeping its own signals (32, 33) unblocked, concerns none of these.
     */
    private static void mask(int how, int... signals) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment set = signalSet(arena, signals);
            Syscall.call("rt_sigprocmask", Syscall.RT_SIGPROCMASK, how, set.address(), 0, KERNEL_SIGSET_SIZE);
        }
    }

    /**
     * Waits until one of {@code signals}, which the caller blocks, is pending for this thread or for the
     * process, takes it (it is not delivered) and returns its number: rt_sigtimedwait(2) without a timeout.
     * A signal handled elsewhere in the process interrupts the wait (errno EINTR).
     */
    public static int takeSignal(int... signals) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment set = signalSet(arena, signals);
            return (int)
                    Syscall.call("rt_sigtimedwait", Syscall.RT_SIGTIMEDWAIT, set.address(), 0, 0, KERNEL_SIGSET_SIZE);
        }
    }

    /** The calling thread's id, as {@link #signalThread} needs it. */
    public static int threadId() throws ErrnoException {
        return (int) Syscall.call("gettid", Syscall.GETTID);
    }

    /** Sends {@code signal} to thread {@code threadId} of this process (tgkill(2)). */
    public static void signalThread(int threadId, int signal) throws ErrnoException {
        long process = Syscall.call("getpid", Syscall.GETPID);
        Syscall.call("tgkill", Syscall.TGKILL, process, threadId, signal);
    }

    /** The kernel's {@code sigset_t} of {@code signals} (numbers 1 to 64): signal N at bit N - 1. */
    public static long signalBits(int... signals) {
        long bits = 0;
        for (int signal : signals) {
            bits |= 1L << (signal - 1);
        }
        return bits;
    }

    private static MemorySegment signalSet(Arena arena, int... signals) {
        return arena.allocateFrom(JAVA_LONG, signalBits(signals));
    }

    /** Marks every descriptor from {@code first} on close-on-exec. */
    static void closeOnExecFrom(int first) throws ErrnoException {
        Downcalls.call("close_range", state -> (int) CloseRange.MH.invokeExact(state, first, -1, CLOSE_RANGE_CLOEXEC));
    }

    /** Clears {@code fd}'s close-on-exec flag: it stays open across the exec. */
    public static void keepAcrossExec(int fd) throws ErrnoException {
        Libc.fcntl(fd, F_SETFD, 0, "fcntl F_SETFD");
    }

    /**
     * Executes {@code argv} (its first element the path) with {@code environment}; returns only the reason it
     * failed.
     */
    public static ErrnoException execve(List<String> argv, Map<String, String> environment) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment args = nullTerminated(arena, argv);
            MemorySegment envp = nullTerminated(
                    arena,
                    environment.entrySet().stream()
                            .map(variable -> variable.getKey() + "=" + variable.getValue())
                            .toList());
            MemorySegment path = arena.allocateFrom(argv.getFirst());
            MemorySegment state = Libc.allocateCallState(arena);
            long result = Syscall.invoke(state, Syscall.EXECVE, path.address(), args.address(), envp.address());
            return new ErrnoException("execve " + argv.getFirst(), result == -1 ? Libc.errno(state) : Libc.EINVAL);
        }
    }

    /** {@code char *const strings[]}, ending in {@code NULL}. */
    private static MemorySegment nullTerminated(Arena arena, List<String> strings) {
        MemorySegment array = arena.allocate(ADDRESS, strings.size() + 1L);
        for (int i = 0; i < strings.size(); i++) {
            array.setAtIndex(ADDRESS, i, arena.allocateFrom(strings.get(i)));
        }
        array.setAtIndex(ADDRESS, strings.size(), MemorySegment.NULL);
        return array;
    }
}
