package dev.wgpr.client.trace;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import dev.wgpr.enforcement.ExecutableId;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The thread behind a notification, held by a pidfd while it is described: its process, its name, and
 * copies of its descriptors. Read with plain system calls, not java.nio: this runs while the traced thread
 * waits, once per call it makes.
 */
final class Caller implements Sender, AutoCloseable {
    private static final int SMALL_FILE = 4096;

    final int tid;
    final int pid;
    final String comm;
    private final int pidfd;

    private Caller(int tid, int pid, String comm, int pidfd) {
        this.tid = tid;
        this.pid = pid;
        this.comm = comm;
        this.pidfd = pidfd;
    }

    /** Thread {@code tid}; a thread-group leader (most callers) answers pidfd_open for its whole process. */
    static Caller of(int tid) throws ErrnoException {
        int pidfd;
        int pid = tid;
        try {
            pidfd = Libc.pidfdOpen(tid, 0);
        } catch (ErrnoException notALeader) {
            pidfd = Libc.pidfdOpen(tid, Libc.PIDFD_THREAD); // Linux 6.9+
            pid = tgid(tid);
        }
        return new Caller(tid, pid, read("/proc/" + tid + "/comm").strip(), pidfd);
    }

    /** A copy of the caller's descriptor {@code fd} (the caller owns it; close it). */
    int copyOf(int fd) throws ErrnoException {
        return Libc.pidfdGetfd(pidfd, fd);
    }

    @Override
    public String cgroup() {
        return read("/proc/" + tid + "/cgroup")
                .lines()
                .filter(line -> line.startsWith("0::"))
                .map(line -> line.substring(3))
                .findFirst()
                .orElse("");
    }

    @Override
    public Optional<String> executable() {
        try {
            int fd = Libc.open("/proc/" + tid + "/exe", Libc.O_PATH | Libc.O_CLOEXEC);
            try {
                return Optional.of(ExecutableId.ofOpen(fd).toString());
            } finally {
                Libc.close(fd);
            }
        } catch (IOException e) {
            return Optional.empty(); // gone, or a kernel thread
        }
    }

    private static int tgid(int tid) {
        return read("/proc/" + tid + "/status")
                .lines()
                .filter(line -> line.startsWith("Tgid:"))
                .map(line -> Integer.parseInt(line.substring(5).strip()))
                .findFirst()
                .orElse(tid);
    }

    /** A small /proc file's text; "" when it cannot be read (the thread is gone). */
    static String read(String path) {
        try (Arena arena = Arena.ofConfined()) {
            int fd = Libc.open(path, Libc.O_RDONLY | Libc.O_CLOEXEC);
            try {
                MemorySegment state = Libc.allocateCallState(arena);
                MemorySegment buffer = arena.allocate(SMALL_FILE);
                long n = Libc.read(state, fd, buffer, SMALL_FILE);
                return n <= 0 ? "" : new String(buffer.asSlice(0, n).toArray(JAVA_BYTE), StandardCharsets.UTF_8);
            } finally {
                Libc.close(fd);
            }
        } catch (ErrnoException e) {
            return "";
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    @Override
    public void close() {
        try {
            Libc.close(pidfd);
        } catch (ErrnoException e) {
            // nothing was written through it
        }
    }
}
