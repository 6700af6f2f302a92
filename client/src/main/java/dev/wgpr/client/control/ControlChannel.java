package dev.wgpr.client.control;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The CLI's end of a control connection for requests that pass no descriptors ({@code status}, {@code
 * events}, {@code up}, {@code down}, ...), on the JDK's own Unix-domain channel.
 *
 * <p>Why not {@link UnixSocket}: every libc function it binds through FFM costs a downcall stub that
 * the JVM generates at run time and its ahead-of-time cache cannot keep, which was most of the time a
 * {@code status} took. The daemon's end, and {@code run} (which hands over the caller's stdio), keep
 * {@code UnixSocket}; both speak the same lines.
 */
public final class ControlChannel implements LineConnection {
    private final SocketChannel channel;
    private final Selector selector;
    private final ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    private ControlChannel(SocketChannel channel, Selector selector) {
        this.channel = channel;
        this.selector = selector;
    }

    /** Raised when no line came within the connection's reply limit. */
    public static final class NoReplyException extends InterruptedIOException {
        private static final long serialVersionUID = 1L;

        NoReplyException(Duration limit) {
            super("no answer within " + limit.toSeconds() + " s");
        }
    }

    /**
     * A connection to the socket at {@code path}; empty when nothing listens there (no socket, or one a
     * stopped daemon left).
     *
     * @throws IOException when a socket is there and cannot be connected to (e.g. permission denied)
     */
    public static Optional<ControlChannel> connect(Path path) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.connect(UnixDomainSocketAddress.of(path));
            channel.configureBlocking(false);
            Selector selector = Selector.open();
            channel.register(selector, SelectionKey.OP_READ);
            return Optional.of(new ControlChannel(channel, selector));
        } catch (ConnectException e) {
            channel.close();
            return Optional.empty(); // a socket file nothing listens on
        } catch (IOException e) {
            channel.close();
            if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
                // Gone since the check above: a starting daemon replaces the socket a killed one left.
                return Optional.empty();
            }
            throw e;
        } catch (RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    @Override
    public void sendLine(String line) throws IOException {
        if (line.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("a control line holds no newline");
        }
        ByteBuffer bytes = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
        channel.write(bytes);
        if (bytes.hasRemaining()) {
            // The channel is non-blocking for the reply's time limit: a request longer than the socket's
            // buffer waits for room.
            try (Selector writable = Selector.open()) {
                channel.register(writable, SelectionKey.OP_WRITE);
                while (bytes.hasRemaining()) {
                    writable.select();
                    channel.write(bytes);
                }
            }
        }
    }

    @Override
    public String receiveLine() throws IOException {
        return receiveLine(Duration.ofNanos(Long.MAX_VALUE));
    }

    /**
     * As {@link #receiveLine()}, waiting at most {@code limit} for the line's end.
     *
     * @throws NoReplyException when the limit passed first
     */
    public String receiveLine(Duration limit) throws IOException {
        long start = System.nanoTime();
        while (true) {
            byte[] buffered = pending.toByteArray();
            for (int i = 0; i < buffered.length; i++) {
                if (buffered[i] == '\n') {
                    pending.reset();
                    pending.write(buffered, i + 1, buffered.length - i - 1);
                    return new String(buffered, 0, i, StandardCharsets.UTF_8);
                }
            }
            if (buffered.length > UnixSocket.MAX_LINE) {
                throw new UnixSocket.LineTooLongException(UnixSocket.MAX_LINE);
            }
            long left = limit.toNanos() - (System.nanoTime() - start);
            if (left <= 0) {
                throw new NoReplyException(limit);
            }
            selector.select(Math.max(1, Duration.ofNanos(left).toMillis()));
            selector.selectedKeys().clear();
            chunk.clear();
            int read = channel.read(chunk);
            if (read < 0) {
                throw new EOFException("the other side closed the control connection");
            }
            pending.write(chunk.array(), 0, read);
        }
    }

    @Override
    public void close() {
        try {
            selector.close();
            channel.close();
        } catch (IOException e) {
            // Closing a socket we only read from loses nothing.
        }
    }
}
