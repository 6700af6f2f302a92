package dev.wgpr.client.daemon;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The attacker of {@link ControlFloodTest}, run as an unprivileged user in a JVM of its own: sends {@code
 * BIG} requests of 4 MiB (no line end), printing what the daemon answered to each, then opens {@code IDLE}
 * connections to the control socket as fast as it can and holds them, sending nothing, until its stdin
 * closes.
 *
 * <p>Arguments: {@code SOCKET IDLE BIG}. Prints {@code big: <reply>} for each big request, then {@code
 * holding <connections> failed <connect failures>}.
 */
public final class ControlFlooder {
    static final int BIG_REQUEST = 4 << 20;

    private ControlFlooder() {}

    public static void main(String[] args) throws Exception {
        UnixDomainSocketAddress socket = UnixDomainSocketAddress.of(args[0]);
        int idle = Integer.parseInt(args[1]);
        int big = Integer.parseInt(args[2]);
        List<Thread> senders = new ArrayList<>();
        for (int i = 0; i < big; i++) {
            senders.add(Thread.ofPlatform().start(() -> System.out.println("big: " + sendBig(socket))));
        }
        for (Thread sender : senders) {
            sender.join();
        }
        List<SocketChannel> held = new ArrayList<>();
        int failed = 0;
        String firstFailure = "";
        for (int i = 0; i < idle; i++) {
            try {
                SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
                held.add(channel);
                channel.connect(socket);
            } catch (IOException e) {
                if (failed++ == 0) {
                    firstFailure = " (first: " + e + ")";
                }
            }
        }
        System.out.println("holding " + held.size() + " failed " + failed + firstFailure);
        System.out.flush();
        while (System.in.read() >= 0) {
            // hold until the test closes our stdin
        }
        for (SocketChannel channel : held) {
            channel.close();
        }
    }

    /** Sends a request of 4 MiB without its end; returns the daemon's reply, or what happened instead. */
    private static String sendBig(UnixDomainSocketAddress socket) {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(socket);
            ByteBuffer request = ByteBuffer.allocate(BIG_REQUEST);
            request.put("{\"v\":1,\"op\":\"ping\",\"pad\":\"".getBytes(StandardCharsets.US_ASCII));
            while (request.hasRemaining()) {
                request.put((byte) 'x');
            }
            request.flip();
            String sent;
            try {
                while (request.hasRemaining()) {
                    channel.write(request);
                }
                sent = "all sent";
            } catch (IOException e) {
                sent = "sent " + request.position() + " bytes, then " + e.getMessage();
            }
            ByteBuffer reply = ByteBuffer.allocate(4096);
            String end = "closed";
            try {
                while (channel.read(reply) > 0) {
                    // until the daemon closes
                }
            } catch (IOException e) {
                // The daemon closed with our unread request still queued on its side: Linux then resets the
                // connection (ECONNRESET on our next read), after handing over what the daemon wrote first.
                end = e.getMessage();
            }
            String answer = new String(reply.array(), 0, reply.position(), StandardCharsets.UTF_8).strip();
            return (answer.isEmpty() ? "failed: no reply, " + end : answer) + " [" + sent + "; " + end + "]";
        } catch (IOException e) {
            return "failed: " + e;
        }
    }
}
