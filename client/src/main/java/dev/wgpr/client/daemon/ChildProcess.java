package dev.wgpr.client.daemon;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A process the launcher started, a child of this process. Signals go to its process group (it leads one: it was started in a
 * new session), as a terminal would send them. A signal is never sent once the process has been
 * reaped, so it can never hit another process that got the pid afterwards: {@link #waitFor()} first
 * waits without reaping ({@code WNOWAIT}), then reaps under the same lock {@link #signal} takes.
 */
final class ChildProcess implements LaunchedProcess {
    private final int pid;
    private boolean reaped;

    ChildProcess(int pid) {
        this.pid = pid;
    }

    @Override
    public int pid() {
        return pid;
    }

    /** Blocks until the process ends (call from a platform thread), then reaps it. */
    @Override
    public Exit waitFor() throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.allocateCallState(arena);
            MemorySegment info = arena.allocate(Libc.SIGINFO_SIZE, 8);
            while (true) {
                int result = Libc.waitid(state, Libc.P_PID, pid, info, Libc.WEXITED | Libc.WNOWAIT);
                if (result == 0) {
                    break;
                }
                if (Libc.errno(state) != Libc.EINTR) {
                    throw new ErrnoException("waitid " + pid, Libc.errno(state));
                }
            }
            MemorySegment status = arena.allocate(JAVA_INT);
            synchronized (this) {
                int result;
                do {
                    result = Libc.waitpid(state, pid, status, 0);
                } while (result < 0 && Libc.errno(state) == Libc.EINTR);
                Libc.check(result, state, "waitpid " + pid);
                reaped = true;
            }
            int raw = status.get(JAVA_INT, 0);
            if ((raw & 0x7f) == 0) {
                return new Exit(true, (raw >> 8) & 0xff, 0);
            }
            return new Exit(false, 0, raw & 0x7f);
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    /** Sends {@code signal} to the process group; nothing once the process is gone. */
    @Override
    public synchronized void signal(int signal) {
        if (reaped) {
            return;
        }
        try {
            Libc.kill(-pid, signal);
        } catch (ErrnoException e) {
            // ESRCH: the group is gone (the process is a zombie awaiting waitFor); nothing to signal.
        }
    }
}
