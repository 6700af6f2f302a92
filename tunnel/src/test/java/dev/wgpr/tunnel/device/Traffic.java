package dev.wgpr.tunnel.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.testing.lab.Namespace;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Real traffic through a tunnel between two lab namespaces, with Java sockets opened inside them. */
final class Traffic {
    private static final int TIMEOUT_MILLIS = 10_000;

    private Traffic() {}

    /**
     * Sends {@code bytes} random bytes over TCP from {@code from} to {@code toAddress} (in namespace
     * {@code to}) and checks that exactly they arrived (SHA-256 of both ends).
     */
    static void tcp(Namespace from, Namespace to, String toAddress, int bytes) {
        ServerSocket server = to.call(() -> {
            ServerSocket s = new ServerSocket();
            s.bind(new InetSocketAddress(InetAddress.ofLiteral(toAddress), 0));
            s.setSoTimeout(TIMEOUT_MILLIS);
            return s;
        });
        try (server) {
            CompletableFuture<byte[]> received = CompletableFuture.supplyAsync(() -> {
                try (Socket socket = server.accept()) {
                    socket.setSoTimeout(TIMEOUT_MILLIS);
                    return digest(socket.getInputStream());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            byte[] data = new byte[bytes];
            new Random(bytes).nextBytes(data);
            from.call(() -> {
                try (Socket socket = new Socket()) {
                    socket.connect(
                            new InetSocketAddress(InetAddress.ofLiteral(toAddress), server.getLocalPort()),
                            TIMEOUT_MILLIS);
                    OutputStream out = socket.getOutputStream();
                    out.write(data);
                    socket.shutdownOutput();
                    socket.getInputStream().read(); // waits for the server to close: everything arrived
                }
                return null;
            });
            assertArrayEquals(
                    sha256(data), received.get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS), "TCP data arrived intact");
        } catch (Exception e) {
            throw new AssertionError("TCP transfer " + from + " -> " + toAddress + " failed: " + e, e);
        }
    }

    /** Sends {@code count} numbered datagrams from {@code from} to {@code toAddress}; all must arrive, intact. */
    static void udp(Namespace from, Namespace to, String toAddress, int count) {
        assertEquals(count, new HashSet<>(udpArrivals(from, to, toAddress, count, true)).size());
    }

    /**
     * Sends {@code count} numbered datagrams as {@link #udp} does; those that arrive (UDP may lose some when
     * the machine is busy, never more than {@code maxLost}) must arrive intact and in the order they were
     * sent.
     *
     * @return how many arrived
     */
    static int udpInOrder(Namespace from, Namespace to, String toAddress, int count, int maxLost) {
        List<Integer> arrivals = udpArrivals(from, to, toAddress, count, false);
        for (int i = 1; i < arrivals.size(); i++) {
            if (arrivals.get(i) <= arrivals.get(i - 1)) {
                throw new AssertionError("datagram " + arrivals.get(i) + " arrived after " + arrivals.get(i - 1));
            }
        }
        assertTrue(
                count - arrivals.size() <= maxLost,
                (count - arrivals.size()) + " of " + count + " datagrams lost; first arrivals "
                        + arrivals.subList(0, Math.min(20, arrivals.size())));
        return arrivals.size();
    }

    /**
     * The numbers of the datagrams in the order they arrived, once each number arrived ({@code lossless}) or
     * once none came for a second.
     */
    private static List<Integer> udpArrivals(
            Namespace from, Namespace to, String toAddress, int count, boolean lossless) {
        DatagramSocket receiver = to.call(() -> {
            DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.ofLiteral(toAddress), 0));
            s.setSoTimeout(lossless ? TIMEOUT_MILLIS : 1000);
            s.setReceiveBufferSize(1 << 20);
            return s;
        });
        try (receiver) {
            DatagramSocket sender = from.call(DatagramSocket::new);
            try (sender) {
                InetSocketAddress target =
                        new InetSocketAddress(InetAddress.ofLiteral(toAddress), receiver.getLocalPort());
                // Received while being sent: a socket buffer holds only so many datagrams.
                CompletableFuture<List<Integer>> received = CompletableFuture.supplyAsync(() -> {
                    Set<Integer> seen = new HashSet<>();
                    List<Integer> arrivals = new ArrayList<>();
                    byte[] buffer = new byte[2000];
                    try {
                        while (seen.size() < count) {
                            DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
                            receiver.receive(packet);
                            int n = ByteBuffer.wrap(buffer).getInt();
                            assertArrayEquals(payload(n), java.util.Arrays.copyOf(buffer, packet.getLength()));
                            seen.add(n);
                            arrivals.add(n);
                        }
                    } catch (SocketTimeoutException e) {
                        if (lossless) {
                            throw new UncheckedIOException("after " + seen.size() + " of " + count + " datagrams", e);
                        }
                    } catch (IOException e) {
                        throw new UncheckedIOException("after " + seen.size() + " of " + count + " datagrams", e);
                    }
                    return arrivals;
                });
                for (int i = 0; i < count; i++) {
                    byte[] payload = payload(i);
                    sender.send(new DatagramPacket(payload, payload.length, target));
                    if (i % 16 == 15) {
                        Thread.sleep(1); // a lab is not a benchmark: no loss from overrunning buffers
                    }
                }
                return received.get(TIMEOUT_MILLIS * 2L, TimeUnit.MILLISECONDS);
            }
        } catch (Exception e) {
            throw new AssertionError("UDP " + from + " -> " + toAddress + " failed: " + e, e);
        }
    }

    private static byte[] payload(int n) {
        byte[] payload = new byte[100 + (n * 37) % 1200];
        new Random(n).nextBytes(payload);
        ByteBuffer.wrap(payload).putInt(n);
        return payload;
    }

    private static byte[] digest(InputStream in) throws IOException {
        MessageDigest sha = sha();
        byte[] buffer = new byte[65536];
        int n;
        while ((n = in.read(buffer)) >= 0) {
            sha.update(buffer, 0, n);
        }
        return sha.digest();
    }

    private static byte[] sha256(byte[] data) {
        return sha().digest(data);
    }

    private static MessageDigest sha() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
