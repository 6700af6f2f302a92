package dev.wgpr.client.control;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.wgpr.common.AcceptBackoff;
import dev.wgpr.common.Pace;
import dev.wgpr.common.ThreadFailures;
import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import dev.wgpr.common.linux.OwnedFd;
import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The daemon's side of the control socket up to a caller's first request: one thread accepts connections
 * and reads the requests of all of them with {@code poll}, so a connection that sends nothing costs a
 * descriptor and a small buffer, no thread. A connection is admitted only within its user's {@link
 * ConnectionLimits}, must deliver its whole request within {@link #REQUEST_TIMEOUT} of its accept, and a
 * request of more than {@link #MAX_REQUEST} bytes is refused without being read further; each refusal is
 * said to the caller in one line before the connection closes. A whole request goes to the handler on a
 * platform thread of its own (the handler's socket calls block in native code, which would pin a virtual
 * thread's carrier), which ends with the connection.
 *
 * <p>When the daemon is out of descriptors ({@code EMFILE}, {@code ENFILE}) or memory, a waiting connection
 * stays in the listen queue and the listener stays readable: instead of retrying at once (which spun and
 * logged a million lines), the reader stops accepting for a while that doubles up to a second, says so once
 * per episode and counts the failures.
 */
public final class RequestReader {
    /** Longest request: a {@code run} with its argv and environment fits many times over. */
    public static final int MAX_REQUEST = 64 * 1024;

    /**
     * How long a caller has from its connect to the end of its request, on an ordinary machine: scaled by
     * {@link Pace}, as a CLI whose JVM runs twenty times slower (an emulated CPU) sends twenty times later.
     */
    public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

    /** How long a reply may wait for room in a caller's receive buffer before the connection is dropped. */
    static final Duration SEND_TIMEOUT = Duration.ofSeconds(10);

    /** Serves one connection's request; the reader closes the connection when it returns. */
    @FunctionalInterface
    public interface Handler {
        void serve(UnixSocket connection, PeerCredentials caller, Message request) throws IOException;
    }

    private record Waiting(UnixSocket socket, PeerCredentials caller, ConnectionLimits.Slot slot, long deadline) {}

    private final UnixSocket listener;
    private final ConnectionLimits limits;
    private final Handler handler;
    private final ThreadFailures failures;
    private final List<Waiting> waiting = new ArrayList<>();

    private final AtomicLong refusedOverLimit = new AtomicLong();
    private final AtomicLong timedOut = new AtomicLong();
    private final AtomicLong tooLong = new AtomicLong();
    private final AcceptBackoff backoff;
    private volatile int waitingCount;
    private long acceptPausedUntil = System.nanoTime();
    /**
     * What {@link #stop} writes to and the reader polls beside the listener: shutting the listener down would
     * do on a socket of the daemon's own, but would break one systemd holds (wg-pr.socket) for the next daemon.
     */
    private final OwnedFd wakeRead;

    private final OwnedFd wakeWrite;

    public RequestReader(
            UnixSocket listener,
            ConnectionLimits limits,
            Handler handler,
            Consumer<String> log,
            ThreadFailures failures)
            throws ErrnoException {
        int[] wake = Libc.pipe2(Libc.O_CLOEXEC | Libc.O_NONBLOCK);
        this.wakeRead = new OwnedFd(wake[0], "control reader wake-up (read end)");
        this.wakeWrite = new OwnedFd(wake[1], "control reader wake-up (write end)");
        this.listener = listener;
        this.limits = limits;
        this.handler = handler;
        this.failures = failures;
        this.backoff = new AcceptBackoff("control socket", log);
    }

    /**
     * Makes {@link #run} return soon, without touching the listener (whose descriptor stays open until the
     * caller closes it after {@code run} returned).
     */
    public void stop() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment one = arena.allocate(1);
            long ignored = Libc.write(Libc.allocateCallState(arena), wakeWrite.fd(), one, 1L);
            assert ignored <= 1; // a full pipe has woken the reader already
        } catch (IllegalStateException e) {
            // run has returned and closed the pipe
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    /**
     * Accepts and reads until {@link #stop} (or until the listener is shut down); then closes the connections
     * still sending their request and returns.
     */
    public void run() {
        try {
            boolean open = true;
            while (open) {
                try {
                    open = turn();
                } catch (Throwable t) {
                    failures.survive(t);
                }
            }
        } finally {
            waiting.forEach(this::drop);
            waiting.clear();
            waitingCount = 0;
            closeQuietly(wakeRead);
            closeQuietly(wakeWrite);
        }
    }

    private static void closeQuietly(OwnedFd fd) {
        try {
            fd.close();
        } catch (ErrnoException e) {
            // a pipe end of our own
        }
    }

    /** Counts for {@code status}. */
    public ControlStatus status() {
        Map<String, Integer> open = new LinkedHashMap<>();
        limits.open().forEach((uid, count) -> open.put(Integer.toUnsignedString(uid), count));
        return new ControlStatus(
                open,
                waitingCount,
                new ControlStatus.Limits(limits.perUser(), limits.othersTotal(), limits.root()),
                refusedOverLimit.get(),
                timedOut.get(),
                tooLong.get(),
                backoff.failures(),
                backoff.episodes());
    }

    /** One wait and what it found; false once stopped or the listener is shut down. */
    private boolean turn() throws Throwable {
        long now = System.nanoTime();
        dropExpired(now);
        boolean accepting = now - acceptPausedUntil >= 0;
        int count = 1 + waiting.size() + (accepting ? 1 : 0);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(Libc.POLLFD, count);
            int at = 0;
            set(fds, at++, wakeRead.fd());
            if (accepting) {
                set(fds, at++, listener.fd());
            }
            for (Waiting w : waiting) {
                set(fds, at++, w.socket().fd());
            }
            MemorySegment state = Libc.allocateCallState(arena);
            int ready = Libc.poll(state, fds, (long) count, timeoutMillis(now, accepting));
            if (ready < 0) {
                if (Libc.errno(state) != Libc.EINTR) {
                    throw new ErrnoException("poll control connections", Libc.errno(state));
                }
                return true;
            }
            if (revents(fds, 0) != 0) {
                return false; // stopped
            }
            // Requests first, so a connection accepted now is not in the list whose slots were polled.
            List<Waiting> polled = List.copyOf(waiting);
            int offset = accepting ? 2 : 1;
            for (int i = 0; i < polled.size(); i++) {
                if (revents(fds, offset + i) != 0) {
                    read(polled.get(i));
                }
            }
            if (accepting && revents(fds, 1) != 0) {
                return accept();
            }
            return true;
        } finally {
            waitingCount = waiting.size();
        }
    }

    private int timeoutMillis(long now, boolean accepting) {
        long until = Long.MAX_VALUE;
        for (Waiting w : waiting) {
            until = Math.min(until, w.deadline() - now);
        }
        if (!accepting) {
            until = Math.min(until, acceptPausedUntil - now);
        }
        if (until == Long.MAX_VALUE) {
            return -1;
        }
        // Rounded up: woken before a deadline, the reader would only wait again.
        return Math.clamp(TimeUnit.NANOSECONDS.toMillis(until) + 1, 0, Integer.MAX_VALUE);
    }

    private static void set(MemorySegment fds, int index, int fd) {
        long base = index * Libc.POLLFD.byteSize();
        fds.set(JAVA_INT, base, fd);
        fds.set(JAVA_SHORT, base + 4, Libc.POLLIN);
    }

    private static short revents(MemorySegment fds, int index) {
        return fds.get(JAVA_SHORT, index * Libc.POLLFD.byteSize() + 6);
    }

    private void dropExpired(long now) {
        waiting.removeIf(w -> {
            if (now - w.deadline() < 0) {
                return false;
            }
            timedOut.incrementAndGet();
            refuse(
                    w.socket(),
                    Protocol.BAD_REQUEST,
                    "no whole request within " + Pace.scaled(REQUEST_TIMEOUT).toSeconds() + " s");
            drop(w);
            return true;
        });
    }

    /** Takes what a waiting connection sent; hands it over once its request is whole. */
    private void read(Waiting w) {
        Optional<Message> request;
        try {
            request = w.socket().receiveNow(MAX_REQUEST);
        } catch (UnixSocket.LineTooLongException e) {
            tooLong.incrementAndGet();
            refuse(w.socket(), Protocol.BAD_REQUEST, "request longer than " + MAX_REQUEST + " bytes");
            forget(w);
            return;
        } catch (EOFException e) {
            forget(w); // the caller went away
            return;
        } catch (IOException e) {
            refuse(w.socket(), Protocol.BAD_REQUEST, e.getMessage());
            forget(w);
            return;
        }
        if (request.isEmpty()) {
            return;
        }
        waiting.remove(w);
        try {
            Thread.ofPlatform().name("control-connection").daemon().start(() -> serve(w, request.get()));
        } catch (Throwable t) { // no thread to be had (OutOfMemoryError): the caller is told, not left waiting
            refuse(w.socket(), Protocol.BUSY, "the daemon cannot take the request now: " + t);
            closeAll(request.get());
            drop(w);
        }
    }

    private void serve(Waiting w, Message request) {
        try {
            handler.serve(w.socket(), w.caller(), request);
        } catch (EOFException e) {
            // the caller went away
        } catch (Throwable t) {
            failures.survive(t);
        } finally {
            drop(w);
        }
    }

    private boolean accept() {
        UnixSocket connection;
        try {
            connection = listener.accept();
        } catch (IllegalStateException e) {
            return false; // closed
        } catch (ErrnoException e) {
            if (e.errno() == Libc.EINVAL) {
                return false; // shut down
            }
            acceptPausedUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoff.failed(e));
            return true;
        }
        backoff.succeeded();
        try {
            PeerCredentials caller = connection.peer();
            ConnectionLimits.Admission admission = limits.admit(caller.uid());
            if (admission.slot().isEmpty()) {
                refusedOverLimit.incrementAndGet();
                refuse(connection, Protocol.BUSY, admission.refusal());
                connection.close();
                return true;
            }
            Waiting w = new Waiting(
                    connection,
                    caller,
                    admission.slot().get(),
                    System.nanoTime() + Pace.scaled(REQUEST_TIMEOUT).toNanos());
            waiting.add(w);
            Libc.setSendTimeout(connection.fd(), SEND_TIMEOUT);
        } catch (ErrnoException e) {
            // The caller vanished between its connect and our look at it, or the kernel refused an option.
            waiting.removeIf(w -> w.socket() == connection);
            connection.close();
        }
        return true;
    }

    private void forget(Waiting w) {
        waiting.remove(w);
        drop(w);
    }

    private void drop(Waiting w) {
        w.socket().close();
        w.slot().close();
    }

    /** The last word to a caller that is dropped: never waited for, never fatal. */
    private static void refuse(UnixSocket connection, String kind, String message) {
        try {
            connection.sendNow(ControlJson.write(new Reply.Error(kind, message)));
        } catch (ErrnoException | IllegalStateException e) {
            // the caller is gone or not listening: it is dropped all the same
        }
    }

    private static void closeAll(Message message) {
        for (var fd : message.fds()) {
            try {
                fd.close();
            } catch (ErrnoException e) {
                // a descriptor we received and no longer need
            }
        }
    }
}
