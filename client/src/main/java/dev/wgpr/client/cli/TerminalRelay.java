package dev.wgpr.client.cli;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Optional;

/**
 * A terminal of the app's own for {@code wg-pr run} in a terminal, as {@code ssh -t}, {@code systemd-run
 * --pty} and {@code run0} do it. The app is started by the daemon in a session of its own, where the
 * caller's terminal cannot be its controlling terminal: it would get no {@code SIGWINCH} when the window
 * changes, and Ctrl-C or Ctrl-Z would signal this process instead of the app. So the app gets a new
 * pseudo-terminal as its stdio (the launcher makes it the app's controlling terminal), with the caller's
 * settings and window size; this process puts the caller's terminal in raw mode, copies bytes both ways,
 * passes window size changes on, and restores the terminal when the app has ended. Keys then reach the
 * app's terminal, whose line discipline signals the app as it would a bare command.
 */
final class TerminalRelay implements AutoCloseable {
    private static final int STDIN = 0;
    private static final int STDOUT = 1;
    private static final int STDERR = 2;
    private static final int BUFFER = 16 * 1024;

    /**
     * The kernel's {@code struct termios} (what {@code TCSETS} takes): the start of glibc's, whose {@code
     * c_cc} goes on beyond the kernel's 19 entries.
     */
    private static final int KERNEL_TERMIOS_SIZE = 36;

    private final Arena arena = Arena.ofShared();
    private final MemorySegment saved;
    private final int master;
    private int slave;
    private final int[] wake;
    private final boolean stderrToo;
    private Thread output;
    private boolean raw;

    private TerminalRelay(MemorySegment settings, int master, int slave, int[] wake, boolean stderrToo) {
        this.saved = arena.allocate(TerminalBindings.TERMIOS_SIZE, 8).copyFrom(settings);
        this.master = master;
        this.slave = slave;
        this.wake = wake;
        this.stderrToo = stderrToo;
    }

    /** A relay when this process's stdin and stdout are a terminal; none otherwise (pipes, files). */
    static Optional<TerminalRelay> forThisTerminal() throws ErrnoException {
        if (!TerminalBindings.isatty(STDIN) || !TerminalBindings.isatty(STDOUT)) {
            return Optional.empty();
        }
        try (Arena setup = Arena.ofConfined()) {
            MemorySegment settings = TerminalBindings.attributes(STDIN, setup);
            int[] pty = TerminalBindings.openpty(settings, TerminalBindings.windowSize(STDIN, setup));
            int[] wake = Libc.pipe2(Libc.O_CLOEXEC);
            return Optional.of(new TerminalRelay(settings, pty[0], pty[1], wake, TerminalBindings.isatty(STDERR)));
        }
    }

    /** The app's stdin, stdout and stderr: the new terminal, and the caller's stderr when it is no terminal. */
    int[] appStdio() {
        return new int[] {slave, slave, stderrToo ? slave : STDERR};
    }

    /**
     * Once the daemon holds the app's terminal: closes this process's copy (so that the app's end is
     * seen), puts the caller's terminal in raw mode and starts copying.
     */
    void start() throws ErrnoException {
        makeRaw();
        startCopying();
    }

    /** As {@link #start}, without copying yet: for a waiter that copies in this process's place. */
    void makeRaw() throws ErrnoException {
        Libc.close(slave);
        slave = -1;
        TerminalBindings.setAttributes(STDIN, TerminalBindings.raw(saved, arena));
        raw = true;
    }

    /** The app's terminal, this end (for the waiter). */
    int master() {
        return master;
    }

    /** The caller's terminal settings before {@link #makeRaw}, as {@code ioctl(TCSETS)} takes them. */
    byte[] savedSettings() {
        return saved.asSlice(0, KERNEL_TERMIOS_SIZE).toArray(JAVA_BYTE);
    }

    /** After {@link #makeRaw}: copies both ways until the app has ended. */
    void startCopying() {
        Thread input = Thread.ofPlatform().daemon().name("terminal-input").start(() -> copy(STDIN, master));
        output = Thread.ofPlatform().daemon().name("terminal-output").start(this::copyOutput);
        input.setUncaughtExceptionHandler((thread, e) -> {});
    }

    /** Gives the app's terminal the caller's window size, after the caller's window changed. */
    void windowChanged() {
        try (Arena call = Arena.ofConfined()) {
            TerminalBindings.setWindowSize(master, TerminalBindings.windowSize(STDIN, call));
        } catch (ErrnoException e) {
            // the app's terminal is gone: nothing left to resize
        }
    }

    /** After the app ended: copies what it wrote and nobody read yet, then stops copying. */
    void finish() throws InterruptedException {
        if (output == null) {
            return;
        }
        try (Arena call = Arena.ofConfined()) {
            MemorySegment one = call.allocate(1);
            Libc.write(Libc.allocateCallState(call), wake[1], one, 1);
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
        output.join();
    }

    /** Restores the caller's terminal and closes the app's. */
    @Override
    public void close() {
        try {
            if (raw) {
                TerminalBindings.setAttributes(STDIN, saved);
            }
        } catch (ErrnoException e) {
            // the caller's terminal is gone: nothing to restore
        } finally {
            for (int fd : new int[] {master, slave, wake[0], wake[1]}) {
                closeQuietly(fd);
            }
            arena.close();
        }
    }

    /** From the app's terminal to stdout until the app's side closes, or until {@link #finish} and drained. */
    private void copyOutput() {
        try (Arena local = Arena.ofConfined()) {
            MemorySegment state = Libc.allocateCallState(local);
            MemorySegment fds = local.allocate(Libc.POLLFD, 2);
            fds.set(JAVA_INT, 0, master);
            fds.set(JAVA_SHORT, 4, Libc.POLLIN);
            fds.set(JAVA_INT, 8, wake[0]);
            fds.set(JAVA_SHORT, 12, Libc.POLLIN);
            MemorySegment buffer = local.allocate(BUFFER);
            boolean finishing = false;
            while (true) {
                int ready = Libc.poll(state, fds, 2, finishing ? 0 : -1);
                if (ready < 0 && Libc.errno(state) == Libc.EINTR) {
                    continue;
                }
                if (ready <= 0) {
                    return; // finishing, and nothing more is waiting
                }
                if (fds.get(JAVA_SHORT, 14) != 0) {
                    finishing = true;
                    fds.set(JAVA_SHORT, 12, (short) 0);
                }
                if (fds.get(JAVA_SHORT, 6) != 0) {
                    long read = Libc.read(state, master, buffer, BUFFER);
                    if (read <= 0) {
                        return; // EIO: every process of the app closed its terminal
                    }
                    writeAll(state, STDOUT, buffer, read);
                }
            }
        } catch (Throwable t) {
            // stdout is gone: the app's output has nowhere to go
        }
    }

    private static void copy(int from, int to) {
        try (Arena local = Arena.ofConfined()) {
            MemorySegment state = Libc.allocateCallState(local);
            MemorySegment buffer = local.allocate(BUFFER);
            while (true) {
                long read = Libc.read(state, from, buffer, BUFFER);
                if (read < 0 && Libc.errno(state) == Libc.EINTR) {
                    continue;
                }
                if (read <= 0) {
                    return;
                }
                writeAll(state, to, buffer, read);
            }
        } catch (Throwable t) {
            // either end is gone
        }
    }

    private static void writeAll(MemorySegment state, int fd, MemorySegment buffer, long count) throws Throwable {
        long done = 0;
        while (done < count) {
            long written = Libc.write(state, fd, buffer.asSlice(done), count - done);
            if (written < 0) {
                if (Libc.errno(state) == Libc.EINTR) {
                    continue;
                }
                throw new ErrnoException("write to fd " + fd, Libc.errno(state));
            }
            done += written;
        }
    }

    private static void closeQuietly(int fd) {
        if (fd >= 0) {
            try {
                Libc.close(fd);
            } catch (ErrnoException e) {
                // already closed
            }
        }
    }
}
