package dev.wgpr.client.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.common.ThreadFailures;
import java.io.EOFException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reader on a real listening socket, with a handler that echoes who asked what. */
class RequestReaderTest {
    @TempDir
    Path dir;

    private Path path;
    private UnixSocket listener;
    private Thread thread;
    private RequestReader reader;
    private final List<String> log = new ArrayList<>();
    private final BlockingQueue<String> served = new LinkedBlockingQueue<>();

    @BeforeEach
    void start() throws Exception {
        path = dir.resolve("control.sock");
        listener = UnixSocket.listen(path, 64);
        RequestReader reader = new RequestReader(
                listener,
                new ConnectionLimits(2, 4, 2),
                (connection, caller, request) -> {
                    served.add("uid " + caller.uid() + ": " + request.line());
                    connection.send("{\"v\":1,\"ok\":true}");
                },
                log::add,
                new ThreadFailures(log::add));
        this.reader = reader;
        thread = Thread.ofPlatform().start(reader::run);
    }

    @AfterEach
    void stop() throws Exception {
        reader.stop();
        thread.join(TimeUnit.SECONDS.toMillis(10));
        listener.close();
    }

    @Test
    void stopEndsTheReaderAndLeavesTheListenerListeningForWhoeverHoldsItNext() throws Exception {
        reader.stop();
        thread.join(TimeUnit.SECONDS.toMillis(10));
        assertFalse(thread.isAlive(), "the reader returned");
        // As systemd's socket (wg-pr.socket) after a daemon's stop: a new caller is queued for the next one.
        try (UnixSocket next = UnixSocket.connect(path)) {
            assertTrue(next.fd() >= 0);
        }
    }

    @Test
    void aWholeRequestIsServedWithTheCallersIdentityFromTheKernel() throws Exception {
        try (UnixSocket client = UnixSocket.connect(path)) {
            client.send("{\"v\":1,\"op\":\"ping\"}");
            assertEquals("{\"v\":1,\"ok\":true}", client.receive().line());
        }
        assertEquals("uid 0: {\"v\":1,\"op\":\"ping\"}", served.poll(10, TimeUnit.SECONDS));
    }

    @Test
    void aCallerOverItsLimitIsToldWhyAndDroppedWhileItsOtherConnectionsStayServed() throws Exception {
        try (UnixSocket first = UnixSocket.connect(path);
                UnixSocket second = UnixSocket.connect(path);
                UnixSocket third = UnixSocket.connect(path)) {
            Map<String, Object> refusal = Json.parseObject(third.receive().line());
            assertEquals(Protocol.BUSY, refusal.get("error"));
            assertEquals("too many control connections of uid 0 (at most 2 at once)", refusal.get("message"));
            assertThrows(EOFException.class, third::receive);

            for (UnixSocket admitted : List.of(first, second)) {
                admitted.send("{\"v\":1,\"op\":\"status\"}");
                assertEquals("{\"v\":1,\"ok\":true}", admitted.receive().line());
            }
        }
    }

    @Test
    void aRequestOverTheLimitIsRefusedWithoutBeingReadToItsEnd() throws Exception {
        try (SocketChannel client = SocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            client.connect(java.net.UnixDomainSocketAddress.of(path));
            ByteBuffer request = ByteBuffer.allocate(4 << 20);
            long sent = 0;
            try {
                while (request.hasRemaining()) {
                    sent += client.write(request);
                }
            } catch (java.io.IOException e) {
                // the reader closed the connection before the request's end
            }
            String reply = new String(Channels.newInputStream(client).readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(
                    reply.contains("\"error\":\"bad-request\"")
                            && reply.contains("request longer than " + RequestReader.MAX_REQUEST + " bytes"),
                    reply);
            assertTrue(sent < 4 << 20, "the reader stopped reading: " + sent + " bytes went out");
        }
        assertEquals(null, served.poll(), "nothing was served");
    }
}
