package dev.wgpr.common.linux;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.Map;

/**
 * {@code <unistd.h>}, {@code <linux/close_range.h>}, {@code <signal.h>}: which descriptors and which
 * pending signals survive the exec, and the exec.
 */
public final class Exec {
    private Exec() {}

    private static final int F_SETFD = 2;
    private static final int CLOSE_RANGE_CLOEXEC = 1 << 2;

    /** {@code int close_range(unsigned first, unsigned last, int flags)} (glibc 2.34+). */
    private static final class CloseRange {
        static final MethodHandle MH =
                Downcalls.errno("close_range", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    }

    /** {@code int execve(const char *path, char *const argv[], char *const envp[])}. */
    private static final class Execve {
        static final MethodHandle MH =
                Downcalls.errno("execve", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
    }

    /** {@code int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)}. */
    private static final class PthreadSigmask {
        static final MethodHandle MH =
                Downcalls.plain("pthread_sigmask", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    }

    /** {@code pid_t gettid(void)} (glibc 2.30+). */
    private static final class Gettid {
        static final MethodHandle MH = Downcalls.plain("gettid", FunctionDescriptor.of(JAVA_INT));
    }

    /** {@code int tgkill(pid_t tgid, pid_t tid, int sig)} (glibc 2.30+). */
    private static final class Tgkill {
        static final MethodHandle MH =
                Downcalls.errno("tgkill", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    }

    private static final int SIG_BLOCK = 0;
    private static final int SIG_UNBLOCK = 1;
    /** {@code sigset_t}: 1024 bits, signal N at bit N - 1. */
    private static final long SIGSET_SIZE = 128;

    /**
     * Blocks {@code signals} in the calling thread: one that comes now stays pending, and a pending signal
     * survives the exec, for the program it runs to take once it unblocks them.
     */
    public static void blockSignals(int... signals) {
        sigmask(SIG_BLOCK, signals);
    }

    /** Undoes {@link #blockSignals} (an exec that failed); what came meanwhile is delivered now. */
    public static void unblockSignals(int... signals) {
        sigmask(SIG_UNBLOCK, signals);
    }

    private static void sigmask(int how, int... signals) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment set = arena.allocate(SIGSET_SIZE, 8);
            for (int signal : signals) {
                int bit = signal - 1;
                set.set(JAVA_LONG, bit / 64 * 8L, set.get(JAVA_LONG, bit / 64 * 8L) | (1L << (bit % 64)));
            }
            int result = (int) PthreadSigmask.MH.invokeExact(how, set, MemorySegment.NULL);
            if (result != 0) {
                throw new IllegalStateException("pthread_sigmask: error " + result);
            }
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    /** The calling thread's id. */
    public static int currentThreadId() {
        try {
            return (int) Gettid.MH.invokeExact();
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    /** Sends {@code signal} to thread {@code tid} of this process. */
    public static void signalThread(int tid, int signal) throws ErrnoException {
        int pid = (int) ProcessHandle.current().pid();
        Downcalls.call("tgkill", state -> (int) Tgkill.MH.invokeExact(state, pid, tid, signal));
    }

    /** Marks every descriptor from {@code first} on close-on-exec. */
    public static void closeOnExecFrom(int first) throws ErrnoException {
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
            int result = (int) Execve.MH.invokeExact(state, path, args, envp);
            return new ErrnoException("execve " + argv.getFirst(), result == -1 ? Libc.errno(state) : Libc.EINVAL);
        } catch (Throwable t) {
            throw Libc.unexpected(t);
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
