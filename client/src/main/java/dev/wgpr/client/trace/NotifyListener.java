package dev.wgpr.client.trace;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A seccomp notification listener ({@code <linux/seccomp.h>}): the descriptor a traced process's filter
 * announces its calls on, taken from that process while {@link TraceStep} holds it stopped.
 */
final class NotifyListener implements AutoCloseable {
    /** {@code _IOWR('!', 0, struct seccomp_notif)}. */
    private static final long NOTIF_RECV = 0xc0502100L;
    /** {@code _IOWR('!', 1, struct seccomp_notif_resp)}. */
    private static final long NOTIF_SEND = 0xc0182101L;
    /** {@code _IOW('!', 2, __u64)}. */
    private static final long NOTIF_ID_VALID = 0x40082102L;

    /** {@code _IOW('!', 4, __u64)} (Linux 6.6+). */
    private static final long NOTIF_SET_FLAGS = 0x40082104L;
    /**
     * The kernel hands the CPU straight from the announcing thread to this one and back, as for a
     * synchronous call, instead of waking each through the scheduler: most of a round trip's cost.
     */
    private static final long FD_SYNC_WAKE_UP = 1;

    static final int FLAG_CONTINUE = 1;
    private static final long NOTIF_SIZE = 80;
    private static final long RESPONSE_SIZE = 24;
    private static final int SIGCONT = 18;

    private final int fd;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment notification = arena.allocate(NOTIF_SIZE, 8);
    private final MemorySegment response = arena.allocate(RESPONSE_SIZE, 8);
    private final MemorySegment pollfd = arena.allocate(Libc.POLLFD);
    private final MemorySegment state = Libc.allocateCallState(arena);

    private NotifyListener(int fd) {
        this.fd = fd;
    }

    /** One announced call: {@code struct seccomp_notif}; {@code arch} is its {@code AUDIT_ARCH_*}. */
    record Notification(long id, int tid, int number, int arch, long[] args) {}

    /**
     * The listener of process {@code pid}, which stops itself once its filter is in place (TraceStep):
     * waits for the stop, copies the descriptor out, and continues the process.
     */
    static NotifyListener takeFrom(int pid, Duration limit) throws IOException {
        long deadline = System.nanoTime() + limit.toNanos();
        int pidfd;
        try {
            pidfd = Libc.pidfdOpen(pid, 0);
        } catch (ErrnoException e) {
            throw new IOException("the traced process " + pid + " is gone: " + e.getMessage());
        }
        try {
            while (!stopped(pid)) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("the traced process " + pid + " did not install its filter");
                }
                Thread.sleep(1);
            }
            NotifyListener listener = new NotifyListener(Libc.pidfdGetfd(pidfd, listenerNumber(pid)));
            listener.wakeSynchronously();
            Libc.kill(pid, SIGCONT);
            return listener;
        } catch (ErrnoException e) {
            throw new IOException("cannot take the traced process's listener: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        } finally {
            close(pidfd);
        }
    }

    private void wakeSynchronously() {
        try (Arena local = Arena.ofConfined()) {
            Libc.ioctl(
                    fd,
                    NOTIF_SET_FLAGS,
                    local.allocateFrom(JAVA_LONG, FD_SYNC_WAKE_UP),
                    "SECCOMP_IOCTL_NOTIF_SET_FLAGS");
        } catch (ErrnoException e) {
            // before Linux 6.6: the same answers, through the scheduler
        }
    }

    private static boolean stopped(int pid) throws IOException {
        String stat;
        try {
            stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        } catch (IOException e) {
            throw new IOException("the traced process " + pid + " ended before its program started");
        }
        char state = stat.charAt(stat.lastIndexOf(')') + 2);
        if (state == 'Z' || state == 'X') {
            throw new IOException("the traced process " + pid + " ended before its program started");
        }
        return state == 'T';
    }

    private static int listenerNumber(int pid) throws IOException {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/" + pid + "/fd"))) {
            for (Path fd : fds) {
                try {
                    if (Files.readSymbolicLink(fd).toString().equals("anon_inode:seccomp notify")) {
                        return Integer.parseInt(fd.getFileName().toString());
                    }
                } catch (IOException e) {
                    // closed meanwhile: not the listener, which the stopped process keeps
                }
            }
        }
        throw new IOException("the traced process " + pid + " holds no seccomp listener");
    }

    /** Waits up to {@code millis}: true when a notification is there, false on time out; empty when no process is left to announce anything. */
    java.util.Optional<Boolean> await(int millis) throws ErrnoException {
        pollfd.set(JAVA_INT, 0, fd);
        pollfd.set(JAVA_SHORT, 4, Libc.POLLIN);
        pollfd.set(JAVA_SHORT, 6, (short) 0);
        int ready;
        try {
            ready = Libc.poll(state, pollfd, 1, millis);
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
        if (ready < 0) {
            if (Libc.errno(state) == Libc.EINTR) {
                return java.util.Optional.of(false);
            }
            throw new ErrnoException("poll seccomp listener", Libc.errno(state));
        }
        short revents = pollfd.get(JAVA_SHORT, 6);
        if ((revents & Libc.POLLIN) != 0) {
            return java.util.Optional.of(true);
        }
        if ((revents & (Libc.POLLHUP | Libc.POLLERR)) != 0) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(false);
    }

    /** The next notification; empty when its caller went away before it was read (ENOENT). */
    java.util.Optional<Notification> receive() throws ErrnoException {
        notification.fill((byte) 0);
        try {
            Libc.ioctl(fd, NOTIF_RECV, notification, "SECCOMP_IOCTL_NOTIF_RECV");
        } catch (ErrnoException e) {
            if (e.errno() == Libc.ENOENT || e.errno() == Libc.EINTR) {
                return java.util.Optional.empty();
            }
            throw e;
        }
        long[] args = new long[6];
        for (int i = 0; i < 6; i++) {
            args[i] = notification.get(JAVA_LONG, 32 + 8L * i);
        }
        return java.util.Optional.of(new Notification(
                notification.get(JAVA_LONG, 0),
                notification.get(JAVA_INT, 8),
                notification.get(JAVA_INT, 16),
                notification.get(JAVA_INT, 20),
                args));
    }

    /**
     * Whether notification {@code id} still stands: its caller still waits in that call, so what was read
     * from its memory was read from the process that made it (not one that reused its pid).
     */
    boolean stillValid(long id) {
        try (Arena local = Arena.ofConfined()) {
            Libc.ioctl(fd, NOTIF_ID_VALID, local.allocateFrom(JAVA_LONG, id), "SECCOMP_IOCTL_NOTIF_ID_VALID");
            return true;
        } catch (ErrnoException e) {
            return false;
        }
    }

    /**
     * Answers {@code id}: continue the call as the kernel would have ({@code errno} 0), or fail it with
     * {@code errno}. False when the caller no longer waits (interrupted, ended): the call did not happen.
     */
    boolean answer(long id, int errno) throws ErrnoException {
        response.fill((byte) 0);
        response.set(JAVA_LONG, 0, id);
        response.set(JAVA_INT, 16, -errno);
        response.set(JAVA_INT, 20, errno == 0 ? FLAG_CONTINUE : 0);
        try {
            Libc.ioctl(fd, NOTIF_SEND, response, "SECCOMP_IOCTL_NOTIF_SEND");
            return true;
        } catch (ErrnoException e) {
            if (e.errno() == Libc.ENOENT) {
                return false;
            }
            throw e;
        }
    }

    private static void close(int fd) {
        try {
            Libc.close(fd);
        } catch (ErrnoException e) {
            // nothing was written through it
        }
    }

    @Override
    public void close() {
        close(fd);
        arena.close();
    }
}
