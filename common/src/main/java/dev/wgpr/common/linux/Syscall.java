package dev.wgpr.common.linux;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * System calls through libc's {@code long syscall(long number, ...)}, linked once with six {@code long}
 * arguments (a pointer passes as its segment's {@link MemorySegment#address}, an unused argument as 0,
 * which the kernel ignores). Each downcall shape a JVM links spins a stub and its lambda forms at run
 * time, which the ahead-of-time cache does not keep (some 15 ms each in the CLI's interpreter-only
 * commands), while the linker shares one stub between calls of one shape: the calls of a short-lived
 * command's path (open, socket, connect, sendmsg, fcntl, execve, ...) all go through this one. x86-64
 * numbers, as the project's other system calls.
 */
public final class Syscall {
    public static final long READ = 0;
    public static final long WRITE = 1;
    public static final long CLOSE = 3;
    public static final long IOCTL = 16;
    public static final long RT_SIGPROCMASK = 14;
    public static final long GETPID = 39;
    public static final long SOCKET = 41;
    public static final long CONNECT = 42;
    public static final long ACCEPT4 = 288;
    public static final long SENDMSG = 46;
    public static final long RECVMSG = 47;
    public static final long LISTEN = 50;
    public static final long EXECVE = 59;
    public static final long FCNTL = 72;
    public static final long RT_SIGTIMEDWAIT = 128;
    public static final long GETTID = 186;
    public static final long TGKILL = 234;
    public static final long OPENAT = 257;

    /** {@code AT_FDCWD}: a path of openat(2) relative to the working directory, as open(2)'s. */
    public static final long AT_FDCWD = -100;

    private Syscall() {}

    private static final class Holder {
        static final MethodHandle MH = Downcalls.errno(
                "syscall",
                FunctionDescriptor.of(
                        JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
                Linker.Option.firstVariadicArg(1));
    }

    /**
     * Links the downcall now, on the calling thread, if no thread has yet: for a command that starts a
     * thread of its own for it at once, so that the stub is spun (some 30 to 40 ms in the CLI's
     * interpreter) beside the work that comes before its first system call. A thread that calls meanwhile
     * waits for the link in progress (class initialisation); linking needs no class of the project's but
     * {@link Libc} and {@link Downcalls}, so that no wait can go round in a circle.
     */
    public static void link() {
        Holder.MH.type();
    }

    /**
     * System call {@code number} with {@code arguments} (at most six): its result, or {@code -1} with errno
     * in {@code callState}. For a hot path that keeps its call state.
     */
    public static long invoke(MemorySegment callState, long number, long... arguments) {
        if (arguments.length > 6) {
            throw new IllegalArgumentException("a system call takes at most six arguments, not " + arguments.length);
        }
        long[] a = new long[6];
        System.arraycopy(arguments, 0, a, 0, arguments.length);
        try {
            return (long) Holder.MH.invokeExact(callState, number, a[0], a[1], a[2], a[3], a[4], a[5]);
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    /** System call {@code number} with {@code arguments}: its result; {@code -1} throws its errno, named {@code what}. */
    public static long call(String what, long number, long... arguments) throws ErrnoException {
        return Downcalls.call(what, state -> invoke(state, number, arguments));
    }
}
