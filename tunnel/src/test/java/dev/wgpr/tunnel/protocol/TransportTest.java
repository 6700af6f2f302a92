package dev.wgpr.tunnel.protocol;

import static dev.wgpr.tunnel.protocol.TwoPeers.ALICE_ADDRESS;
import static dev.wgpr.tunnel.protocol.TwoPeers.wrap;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TransportTest {
    @ParameterizedTest(name = "{0} bytes at MTU {1} pad to {2}")
    @CsvSource({
        "0, 1420, 0",
        "1, 1420, 16",
        "16, 1420, 16",
        "17, 1420, 32",
        "1404, 1420, 1408",
        "1415, 1420, 1420",
        "1420, 1420, 1420",
        "1421, 1420, 1436",
        "2840, 1420, 2840",
        "5, 8, 8",
        "100, 0, 112",
    })
    void packetsArePaddedToSixteenButNotBeyondTheMtu(int length, int mtu, int padded) {
        assertEquals(padded, Keypair.paddedLength(length, mtu));
    }

    @Test
    void aKeepaliveIsThirtyTwoBytesAndArrivesEmpty() {
        TwoPeers p = new TwoPeers();
        Keypair keypair = p.handshake().keypair();
        byte[] keepalive = keypair.seal(new byte[0], 1420).orElseThrow();
        assertEquals(32, keepalive.length);
        Received.Data data =
                assertInstanceOf(Received.Data.class, p.bob.receive(wrap(keepalive), ALICE_ADDRESS, false));
        assertEquals(0, data.plaintext().remaining());
    }

    @Test
    void messagesSealedAndOpenedOutOfOrderAreAcceptedInTheOrderTheirCountersWereTaken() {
        TwoPeers p = new TwoPeers();
        Keypair keypair = p.handshake().keypair();
        int n = 8;
        long[] counters = new long[n];
        byte[][] messages = new byte[n][];
        for (int i = 0; i < n; i++) {
            counters[i] = keypair.takeCounter();
            messages[i] = new byte[16 + 32 + 16];
            messages[i][16] = (byte) i;
        }
        for (int i = n - 1; i >= 0; i--) { // sealed backwards: the counters, not the sealing order, count
            assertEquals(64, keypair.sealWith(counters[i], messages[i], 0, 20, 1420));
        }
        byte[] replay = messages[3].clone(); // opening decrypts in place
        TransportData[] received = new TransportData[n];
        for (int i = 0; i < n; i++) {
            received[i] = p.bob.beginData(ByteBuffer.wrap(messages[i]));
        }
        for (int i = n - 1; i >= 0; i--) {
            received[i].open();
        }
        for (int i = 0; i < n; i++) {
            Received.Data data = assertInstanceOf(Received.Data.class, received[i].finish());
            assertEquals(i, data.plaintext().get(0));
        }
        TransportData again = p.bob.beginData(ByteBuffer.wrap(replay));
        again.open();
        assertEquals(new Received.Dropped(Drop.REPLAYED_COUNTER), again.finish(), "opened fine, but a replay");
    }

    @Test
    void messagesCarryTheReceiverIndexAndConsecutiveCounters() {
        TwoPeers p = new TwoPeers();
        Keypair keypair = p.handshake().keypair();
        for (long counter = 0; counter < 3; counter++) {
            byte[] message = keypair.seal(new byte[20], 1420).orElseThrow();
            assertEquals(16 + 32 + 16, message.length);
            TransportHeader header =
                    TransportHeader.parse(ByteBuffer.wrap(message)).orElseThrow();
            assertEquals(keypair.remoteIndex(), header.receiver());
            assertEquals(counter, header.counter());
        }
        assertEquals(3, keypair.sendCounter());
    }

    @Test
    void theDecryptedPacketKeepsItsPaddingUpToTheMtu() {
        TwoPeers p = new TwoPeers();
        Keypair keypair = p.handshake().keypair();
        byte[] packet = new byte[1415];
        new Random(1).nextBytes(packet);
        byte[] message = keypair.seal(packet, 1420).orElseThrow();
        assertEquals(16 + 1420 + 16, message.length);
        Received.Data data = assertInstanceOf(Received.Data.class, p.bob.receive(wrap(message), ALICE_ADDRESS, false));
        byte[] plaintext = new byte[data.plaintext().remaining()];
        data.plaintext().get(plaintext);
        assertArrayEquals(Arrays.copyOf(packet, 1420), plaintext);
    }

    @Test
    void sealingInPlaceAtAnOffsetAndOpeningInPlaceWork() {
        TwoPeers p = new TwoPeers();
        Keypair keypair = p.handshake().keypair();
        byte[] buffer = new byte[200];
        Arrays.fill(buffer, (byte) 0x55); // stale bytes where the padding goes must become zeros
        byte[] packet = "in place".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        System.arraycopy(packet, 0, buffer, 10 + 16, packet.length);
        int length = keypair.seal(buffer, 10, packet.length, 1420);
        assertEquals(16 + 16 + 16, length);

        ByteBuffer datagram = ByteBuffer.wrap(buffer, 10, length);
        Received.Data data = assertInstanceOf(Received.Data.class, p.bob.receive(datagram, ALICE_ADDRESS, false));
        assertEquals(10, datagram.position()); // position and limit left alone
        assertTrue(data.plaintext().hasArray());
        assertEquals(buffer, data.plaintext().array()); // decrypted in the datagram's own buffer
        byte[] plaintext = new byte[16];
        data.plaintext().get(plaintext);
        assertArrayEquals(Arrays.copyOf(packet, 16), plaintext);
    }

    @Test
    void aSealBufferWithoutRoomIsRefused() {
        TwoPeers p = new TwoPeers();
        Keypair keypair = p.handshake().keypair();
        assertThrows(IllegalArgumentException.class, () -> keypair.seal(new byte[40], 0, 10, 1420));
    }

    @Test
    void aReadOnlyDatagramIsDecryptedIntoACopy() {
        TwoPeers p = new TwoPeers();
        Keypair keypair = p.handshake().keypair();
        byte[] message = keypair.seal(new byte[] {9, 8, 7}, 1420).orElseThrow();
        byte[] original = message.clone();
        Received.Data data = assertInstanceOf(
                Received.Data.class, p.bob.receive(ByteBuffer.wrap(message).asReadOnlyBuffer(), ALICE_ADDRESS, false));
        assertEquals(9, data.plaintext().get(0));
        assertArrayEquals(original, message);
    }

    @Test
    void outOfOrderMessagesAreAcceptedAndDuplicatesRefused() {
        TwoPeers p = new TwoPeers();
        Keypair keypair = p.handshake().keypair();
        byte[][] messages = new byte[5][];
        for (int i = 0; i < messages.length; i++) {
            messages[i] = keypair.seal(new byte[] {(byte) i}, 1420).orElseThrow();
        }
        for (int i : new int[] {3, 0, 4, 1, 2}) {
            assertInstanceOf(Received.Data.class, p.bob.receive(wrap(messages[i]), ALICE_ADDRESS, false));
        }
        for (byte[] message : messages) {
            assertEquals(
                    new Received.Dropped(Drop.REPLAYED_COUNTER), p.bob.receive(wrap(message), ALICE_ADDRESS, false));
        }
        assertEquals(5, p.bob.dropped(Drop.REPLAYED_COUNTER));
    }

    @Test
    void aTamperedMessageFailsAndDoesNotBurnItsCounter() {
        TwoPeers p = new TwoPeers();
        Keypair keypair = p.handshake().keypair();
        byte[] message = keypair.seal(new byte[] {1, 2, 3}, 1420).orElseThrow();
        byte[] tampered = message.clone();
        tampered[20] ^= 1;
        assertEquals(
                new Received.Dropped(Drop.DATA_DECRYPTION_FAILED), p.bob.receive(wrap(tampered), ALICE_ADDRESS, false));
        assertInstanceOf(Received.Data.class, p.bob.receive(wrap(message), ALICE_ADDRESS, false));
    }

    @Test
    void aMessageForAnUnknownIndexIsDropped() {
        TwoPeers p = new TwoPeers();
        Keypair keypair = p.handshake().keypair();
        byte[] message = keypair.seal(new byte[1], 1420).orElseThrow();
        message[4] ^= 1;
        assertEquals(new Received.Dropped(Drop.UNKNOWN_INDEX), p.bob.receive(wrap(message), ALICE_ADDRESS, false));
    }

    @Test
    void aKeypairStopsSendingAtRejectAfterMessagesWithoutWrappingItsCounter() {
        TwoPeers p = new TwoPeers();
        Keypair keypair = p.handshake().keypair();
        keypair.skipSendCounterTo(Limits.REJECT_AFTER_MESSAGES - 1);
        byte[] last = keypair.seal(new byte[1], 1420).orElseThrow();
        assertTrue(keypair.seal(new byte[1], 1420).isEmpty());
        assertTrue(keypair.seal(new byte[1], 1420).isEmpty());
        assertEquals(Limits.REJECT_AFTER_MESSAGES, keypair.sendCounter());
        // The receiver takes the last allowed counter.
        assertInstanceOf(Received.Data.class, p.bob.receive(wrap(last), ALICE_ADDRESS, false));
    }

    @Test
    void aKeypairRejectsAfterThreeMinutesBothWays() {
        TwoPeers p = new TwoPeers();
        Keypair keypair = p.handshake().keypair();
        byte[] early = keypair.seal(new byte[1], 1420).orElseThrow();
        p.clock.advance(Duration.ofSeconds(180));
        assertTrue(keypair.isExpired());
        assertTrue(keypair.seal(new byte[1], 1420).isEmpty());
        assertEquals(new Received.Dropped(Drop.KEYPAIR_EXPIRED), p.bob.receive(wrap(early), ALICE_ADDRESS, false));
    }
}
