package dev.wgpr.tunnel.protocol;

import static dev.wgpr.tunnel.protocol.TwoPeers.ALICE_ADDRESS;
import static dev.wgpr.tunnel.protocol.TwoPeers.BOB_ADDRESS;
import static dev.wgpr.tunnel.protocol.TwoPeers.wrap;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Malformed, truncated, padded, bit-flipped and random datagrams: dropped and counted, never thrown. */
class HostileInputTest {
    private record Parser(int type, int size, boolean exactSize, Function<ByteBuffer, Optional<?>> parse) {}

    private static final Parser[] PARSERS = {
        new Parser(Messages.INITIATION, Initiation.SIZE, true, Initiation::parse),
        new Parser(Messages.RESPONSE, Response.SIZE, true, Response::parse),
        new Parser(Messages.COOKIE_REPLY, CookieReply.SIZE, true, CookieReply::parse),
        new Parser(Messages.TRANSPORT_DATA, TransportHeader.MIN_MESSAGE_SIZE, false, TransportHeader::parse),
    };

    @Test
    void eachParserTakesOnlyItsOwnSizes() {
        for (Parser parser : PARSERS) {
            for (int length = 0; length <= 300; length++) {
                byte[] datagram = new byte[length];
                if (length > 0) {
                    datagram[0] = (byte) parser.type();
                }
                boolean fits = parser.exactSize() ? length == parser.size() : length >= parser.size();
                assertEquals(
                        fits,
                        parser.parse().apply(ByteBuffer.wrap(datagram)).isPresent(),
                        "type " + parser.type() + ", " + length + " bytes");
            }
        }
    }

    @Test
    void eachParserRefusesOtherTypesAndNonZeroReservedBytes() {
        for (Parser parser : PARSERS) {
            for (int type = 0; type < 256; type++) {
                byte[] datagram = new byte[parser.size()];
                datagram[0] = (byte) type;
                assertEquals(
                        type == parser.type(),
                        parser.parse().apply(ByteBuffer.wrap(datagram)).isPresent());
            }
            for (int reserved = 1; reserved < 4; reserved++) {
                byte[] datagram = new byte[parser.size()];
                datagram[0] = (byte) parser.type();
                datagram[reserved] = 1;
                assertTrue(parser.parse().apply(ByteBuffer.wrap(datagram)).isEmpty());
                assertEquals(0, Messages.typeOf(ByteBuffer.wrap(datagram)));
            }
        }
    }

    @Test
    void parsersReadFromThePositionAndLeaveTheBufferAlone() {
        TwoPeers p = new TwoPeers();
        byte[] initiation = p.alice.createInitiation(p.bobAtAlice).orElseThrow();
        byte[] framed = new byte[10 + initiation.length + 7];
        Arrays.fill(framed, (byte) 0xee);
        System.arraycopy(initiation, 0, framed, 10, initiation.length);
        ByteBuffer buffer = ByteBuffer.wrap(framed, 10, initiation.length);
        Initiation parsed = Initiation.parse(buffer).orElseThrow();
        assertEquals(10, buffer.position());
        assertEquals(10 + initiation.length, buffer.limit());
        assertArrayEquals(initiation, parsed.toBytes());
        assertInstanceOf(Received.Respond.class, p.bob.receive(buffer, ALICE_ADDRESS, false));
    }

    @Test
    void parsedMessagesWriteBackTheSameBytes() {
        TwoPeers p = new TwoPeers();
        byte[] initiation = p.alice.createInitiation(p.bobAtAlice).orElseThrow();
        assertArrayEquals(
                initiation, Initiation.parse(wrap(initiation)).orElseThrow().toBytes());
        byte[] cookie = ((Received.SendCookie) p.bob.receive(wrap(initiation), ALICE_ADDRESS, true)).message();
        assertArrayEquals(cookie, CookieReply.parse(wrap(cookie)).orElseThrow().toBytes());
        byte[] response = ((Received.Respond) p.bob.receive(wrap(initiation), ALICE_ADDRESS, false)).message();
        assertArrayEquals(response, Response.parse(wrap(response)).orElseThrow().toBytes());
        TransportHeader header = new TransportHeader(0x01020304, 0x0a0b0c0d0e0f1011L);
        byte[] data = new byte[32];
        header.writeTo(data, 0);
        assertEquals(header, TransportHeader.parse(ByteBuffer.wrap(data)).orElseThrow());
        assertEquals("040000000403020111100f0e0d0c0b0a", dev.wgpr.tunnel.Hex.hex(Arrays.copyOf(data, 16)));
    }

    @Test
    void randomDatagramsAreDroppedAndCountedWithoutExceptions() {
        TwoPeers p = new TwoPeers();
        p.handshake(); // live indices exist, so some random receivers could even hit one
        Random random = new Random(2026);
        int count = 20_000;
        for (int i = 0; i < count; i++) {
            byte[] datagram = new byte[random.nextInt(4) == 0 ? random.nextInt(8) : random.nextInt(300)];
            random.nextBytes(datagram);
            if (datagram.length >= 4 && random.nextBoolean()) {
                datagram[0] = (byte) (1 + random.nextInt(4)); // a plausible header most of the time
                datagram[1] = datagram[2] = datagram[3] = 0;
            }
            Received received = p.bob.receive(ByteBuffer.wrap(datagram), ALICE_ADDRESS, random.nextBoolean());
            if (!(received instanceof Received.Dropped) && !(received instanceof Received.SendCookie)) {
                throw new AssertionError("random bytes were accepted: " + received);
            }
        }
        long dropped = 0;
        for (Drop reason : Drop.values()) {
            dropped += p.bob.dropped(reason);
        }
        assertTrue(p.bob.dropped(Drop.MALFORMED) > 0);
        assertTrue(dropped > count / 2, "dropped " + dropped);
    }

    @Test
    void everyTruncationAndExtensionOfEachMessageIsDropped() {
        TwoPeers p = new TwoPeers();
        byte[] initiation = p.alice.createInitiation(p.bobAtAlice).orElseThrow();
        byte[] cookie = ((Received.SendCookie) p.bob.receive(wrap(initiation), ALICE_ADDRESS, true)).message();
        Received.Respond respond = (Received.Respond) p.bob.receive(wrap(initiation), ALICE_ADDRESS, false);
        byte[] response = respond.message();
        p.later();
        byte[] data = p.handshake().keypair().seal(new byte[100], 1420).orElseThrow();

        for (byte[] message : new byte[][] {initiation, response, cookie}) {
            for (int length = 0; length < message.length + 20; length++) {
                if (length == message.length) {
                    continue;
                }
                byte[] resized = Arrays.copyOf(message, length);
                assertEquals(new Received.Dropped(Drop.MALFORMED), p.alice.receive(wrap(resized), BOB_ADDRESS, true));
                assertEquals(new Received.Dropped(Drop.MALFORMED), p.bob.receive(wrap(resized), ALICE_ADDRESS, true));
            }
        }
        for (int length = 0; length < data.length + 20; length++) {
            if (length == data.length) {
                continue;
            }
            Received received = p.bob.receive(wrap(Arrays.copyOf(data, length)), ALICE_ADDRESS, false);
            Drop expected = length < 32 ? Drop.MALFORMED : Drop.DATA_DECRYPTION_FAILED;
            assertEquals(new Received.Dropped(expected), received, length + " bytes");
        }
        assertInstanceOf(Received.Data.class, p.bob.receive(wrap(data), ALICE_ADDRESS, false));
    }

    @Test
    void everyBitFlipOfAnInitiationIsRefused() {
        TwoPeers p = new TwoPeers();
        byte[] initiation = p.alice.createInitiation(p.bobAtAlice).orElseThrow();
        for (int bit = 0; bit < Initiation.MAC2 * 8; bit++) {
            Received received = p.bob.receive(wrap(flip(initiation, bit)), ALICE_ADDRESS, false);
            assertInstanceOf(Received.Dropped.class, received, "bit " + bit);
        }
        // mac2 is only checked under load; with a valid cookie, any flip of it gets a cookie reply, not a session.
        byte[] cookie = ((Received.SendCookie) p.bob.receive(wrap(initiation), ALICE_ADDRESS, true)).message();
        assertInstanceOf(Received.CookieStored.class, p.alice.receive(wrap(cookie), BOB_ADDRESS, false));
        p.later();
        byte[] withMac2 = p.alice.createInitiation(p.bobAtAlice).orElseThrow();
        for (int bit = Initiation.MAC2 * 8; bit < Initiation.SIZE * 8; bit++) {
            Received received = p.bob.receive(wrap(flip(withMac2, bit)), ALICE_ADDRESS, true);
            assertInstanceOf(Received.SendCookie.class, received, "bit " + bit);
        }
        assertInstanceOf(Received.Respond.class, p.bob.receive(wrap(withMac2), ALICE_ADDRESS, true));
    }

    @Test
    void everyBitFlipOfAResponseIsRefusedAndTheGenuineOneStillCompletes() {
        TwoPeers p = new TwoPeers();
        byte[] initiation = p.alice.createInitiation(p.bobAtAlice).orElseThrow();
        byte[] response = ((Received.Respond) p.bob.receive(wrap(initiation), ALICE_ADDRESS, false)).message();
        for (int bit = 0; bit < Response.MAC2 * 8; bit++) {
            Received received = p.alice.receive(wrap(flip(response, bit)), BOB_ADDRESS, false);
            assertInstanceOf(Received.Dropped.class, received, "bit " + bit);
        }
        assertInstanceOf(Received.Established.class, p.alice.receive(wrap(response), BOB_ADDRESS, false));
    }

    @Test
    void everyBitFlipOfACookieReplyIsRefusedAndTheGenuineOneStillWorks() {
        TwoPeers p = new TwoPeers();
        byte[] initiation = p.alice.createInitiation(p.bobAtAlice).orElseThrow();
        byte[] cookie = ((Received.SendCookie) p.bob.receive(wrap(initiation), ALICE_ADDRESS, true)).message();
        Set<Drop> expected = Set.of(Drop.MALFORMED, Drop.UNKNOWN_INDEX, Drop.INVALID_COOKIE);
        for (int bit = 0; bit < CookieReply.SIZE * 8; bit++) {
            Received received = p.alice.receive(wrap(flip(cookie, bit)), BOB_ADDRESS, false);
            Received.Dropped dropped = assertInstanceOf(Received.Dropped.class, received, "bit " + bit);
            assertTrue(expected.contains(dropped.reason()), "bit " + bit + ": " + dropped.reason());
        }
        assertInstanceOf(Received.CookieStored.class, p.alice.receive(wrap(cookie), BOB_ADDRESS, false));
    }

    @Test
    void everyBitFlipOfTransportDataIsRefusedAndTheGenuineMessageStillArrives() {
        TwoPeers p = new TwoPeers();
        Keypair keypair = p.handshake().keypair();
        byte[] data = keypair.seal(new byte[40], 1420).orElseThrow();
        Set<Drop> expected = Set.of(Drop.MALFORMED, Drop.UNKNOWN_INDEX, Drop.DATA_DECRYPTION_FAILED);
        for (int bit = 0; bit < data.length * 8; bit++) {
            Received received = p.bob.receive(wrap(flip(data, bit)), ALICE_ADDRESS, false);
            Received.Dropped dropped = assertInstanceOf(Received.Dropped.class, received, "bit " + bit);
            assertTrue(expected.contains(dropped.reason()), "bit " + bit + ": " + dropped.reason());
        }
        assertInstanceOf(Received.Data.class, p.bob.receive(wrap(data), ALICE_ADDRESS, false));
    }

    private static byte[] flip(byte[] message, int bit) {
        byte[] out = message.clone();
        out[bit / 8] ^= (byte) (1 << (bit % 8));
        return out;
    }
}
