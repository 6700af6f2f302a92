package dev.wgpr.tunnel.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Batched datagrams over loopback: runs go out as one offloaded message and come back apart, in order. */
class UdpSocketTest {
    /** A socket on a free port, closed and released at the end. */
    private record Bound(UdpSocket socket) implements AutoCloseable {
        static Bound any() throws Exception {
            return new Bound(UdpSocket.bind(0));
        }

        @Override
        public void close() {
            socket.close();
            socket.release();
        }
    }

    private static byte[] datagram(int index, int length) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) (index * 31 + i);
        }
        return bytes;
    }

    /** Receives until {@code expected} datagrams have come (loopback loses none). */
    private static List<byte[]> receive(UdpSocket socket, int expected) throws Exception {
        UdpSocket.Receiver receiver = new UdpSocket.Receiver();
        List<byte[]> received = new ArrayList<>();
        while (received.size() < expected) {
            int count = receiver.receive(socket);
            for (int i = 0; i < count; i++) {
                ByteBuffer view = receiver.datagram(i);
                byte[] bytes = new byte[view.remaining()];
                view.get(view.position(), bytes);
                received.add(bytes);
            }
        }
        return received;
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "::1"})
    void aRunOfEqualDatagramsGoesAsOneMessageAndArrivesAsTheSameDatagramsInOrder(String loopback) throws Exception {
        try (Bound fromSocket = Bound.any();
                Bound toSocket = Bound.any()) {
            UdpSocket from = fromSocket.socket();
            UdpSocket to = toSocket.socket();
            InetSocketAddress destination = new InetSocketAddress(InetAddress.getByName(loopback), to.port());
            UdpSocket.Sender sender = new UdpSocket.Sender(4);
            List<byte[]> sent = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                sent.add(datagram(i, i == 39 ? 700 : 1452)); // the shorter last one ends the run
            }
            for (byte[] d : sent) {
                sender.add(from, d, 0, d.length, destination);
            }
            if (from.isSegmenting()) {
                assertEquals(1, sender.messages(), "one offloaded message");
            }
            assertEquals(40, sender.flush(from));
            List<byte[]> received = receive(to, 40);
            assertEquals(40, received.size());
            for (int i = 0; i < 40; i++) {
                assertArrayEquals(sent.get(i), received.get(i), "datagram " + i);
            }
        }
    }

    @Test
    void aReceiverGivesItsPagesBackAfterAQuietSpellAndReceivesOnAfterwards() throws Exception {
        try (Bound fromSocket = Bound.any();
                Bound toSocket = Bound.any();
                UdpSocket.Receiver receiver = new UdpSocket.Receiver()) {
            UdpSocket from = fromSocket.socket();
            UdpSocket to = toSocket.socket();
            InetSocketAddress destination = new InetSocketAddress(InetAddress.getLoopbackAddress(), to.port());
            assertEquals(0, receiver.residentBytes(), "a new receiver's slots take no memory");
            for (int i = 0; i < 32; i++) {
                byte[] d = datagram(i, 1452 + i); // lengths differ: no offload joins them, each fills a slot
                assertTrue(from.send(d, 0, d.length, destination));
            }
            int received = 0;
            while (received < 32) {
                received += receiver.receive(to);
            }
            long busy = receiver.residentBytes();
            assertTrue(busy >= 32 * 4096, busy + " bytes resident after 32 datagrams");

            // The next datagram comes after the quiet spell: the receiver gave its pages back while it waited.
            Thread late = Thread.ofPlatform().start(() -> {
                try {
                    Thread.sleep(UdpSocket.QUIET.toMillis() + 1500);
                } catch (InterruptedException e) {
                    return;
                }
                from.send(new byte[100], 0, 100, destination);
            });
            assertEquals(1, receiver.receive(to));
            late.join();
            assertEquals(100, receiver.datagram(0).remaining());
            assertEquals(4096, receiver.residentBytes(), "only the page the late datagram touched");
        }
    }

    @Test
    void aLongerDatagramAnotherDestinationOrAFullRunStartsANewMessage() throws Exception {
        try (Bound fromSocket = Bound.any();
                Bound toSocket = Bound.any();
                Bound otherSocket = Bound.any()) {
            UdpSocket from = fromSocket.socket();
            UdpSocket to = toSocket.socket();
            UdpSocket other = otherSocket.socket();
            assertTrue(from.isSegmenting(), "this kernel has UDP_SEGMENT");
            InetSocketAddress a = new InetSocketAddress(InetAddress.getLoopbackAddress(), to.port());
            InetSocketAddress b = new InetSocketAddress(InetAddress.getLoopbackAddress(), other.port());
            UdpSocket.Sender sender = new UdpSocket.Sender(8);
            byte[] small = datagram(1, 100);
            byte[] large = datagram(2, 200);
            sender.add(from, small, 0, small.length, a);
            sender.add(from, small, 0, small.length, a);
            sender.add(from, large, 0, large.length, a); // longer than the run's first: a new message
            sender.add(from, large, 0, large.length, b); // another destination: a new message
            assertEquals(3, sender.messages());
            // The first small one joins the large one's run and ends it (shorter); then a full run and one more.
            for (int i = 0; i < 1 + UdpSocket.MAX_SEGMENTS + 1; i++) {
                sender.add(from, small, 0, small.length, b);
            }
            assertEquals(5, sender.messages(), "a shorter datagram ends a run; a run holds at most MAX_SEGMENTS");
            assertEquals(4 + UdpSocket.MAX_SEGMENTS + 2, sender.flush(from));
            List<byte[]> atA = receive(to, 3);
            assertArrayEquals(small, atA.get(0));
            assertArrayEquals(small, atA.get(1));
            assertArrayEquals(large, atA.get(2));
            List<byte[]> atB = receive(other, 1 + UdpSocket.MAX_SEGMENTS + 2);
            assertArrayEquals(large, atB.get(0));
            for (int i = 1; i < atB.size(); i++) {
                assertArrayEquals(small, atB.get(i), "datagram " + i);
            }
        }
    }
}
