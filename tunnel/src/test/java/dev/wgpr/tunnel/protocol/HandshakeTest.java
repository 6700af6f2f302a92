package dev.wgpr.tunnel.protocol;

import static dev.wgpr.tunnel.protocol.TwoPeers.ALICE_ADDRESS;
import static dev.wgpr.tunnel.protocol.TwoPeers.BOB_ADDRESS;
import static dev.wgpr.tunnel.protocol.TwoPeers.wrap;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.tunnel.crypto.Key;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class HandshakeTest {
    @Test
    void messagesHaveTheirWireSizesAndTypes() {
        TwoPeers p = new TwoPeers();
        byte[] initiation = p.alice.createInitiation(p.bobAtAlice).orElseThrow();
        assertEquals(148, initiation.length);
        assertEquals(1, Messages.typeOf(ByteBuffer.wrap(initiation)));
        Received.Respond respond =
                assertInstanceOf(Received.Respond.class, p.bob.receive(wrap(initiation), ALICE_ADDRESS, false));
        assertEquals(92, respond.message().length);
        assertEquals(2, Messages.typeOf(ByteBuffer.wrap(respond.message())));
        Response response = Response.parse(ByteBuffer.wrap(respond.message())).orElseThrow();
        assertEquals(Initiation.parse(ByteBuffer.wrap(initiation)).orElseThrow().sender(), response.receiver());
    }

    @Test
    void initiatorAndResponderDeriveMatchingKeysAndExchangeDataBothWays() {
        TwoPeers p = new TwoPeers();
        byte[] initiation = p.alice.createInitiation(p.bobAtAlice).orElseThrow();
        Received.Respond respond =
                assertInstanceOf(Received.Respond.class, p.bob.receive(wrap(initiation), ALICE_ADDRESS, false));
        assertSame(p.aliceAtBob, respond.peer());
        Received.Established established = assertInstanceOf(
                Received.Established.class, p.alice.receive(wrap(respond.message()), BOB_ADDRESS, false));
        assertSame(p.bobAtAlice, established.peer());

        Keypair atAlice = established.keypair();
        Keypair atBob = respond.keypair();
        assertTrue(atAlice.isInitiator());
        assertFalse(atBob.isInitiator());
        assertEquals(atAlice.localIndex(), atBob.remoteIndex());
        assertEquals(atBob.localIndex(), atAlice.remoteIndex());
        assertSame(atAlice, p.bobAtAlice.currentKeypair().orElseThrow());
        // Bob may not send until Alice's first message confirms the keypair.
        assertTrue(p.aliceAtBob.currentKeypair().isEmpty());
        assertSame(atBob, p.aliceAtBob.nextKeypair().orElseThrow());

        byte[] hello = "hello from alice".getBytes(StandardCharsets.US_ASCII);
        Received.Data data = assertInstanceOf(
                Received.Data.class,
                p.bob.receive(wrap(atAlice.seal(hello, 1420).orElseThrow()), ALICE_ADDRESS, false));
        assertSame(p.aliceAtBob, data.peer());
        assertArrayEquals(hello, bytes(data.plaintext()));
        assertSame(atBob, p.aliceAtBob.currentKeypair().orElseThrow());
        assertTrue(p.aliceAtBob.nextKeypair().isEmpty());

        byte[] reply = "and hello back from bob".getBytes(StandardCharsets.US_ASCII);
        Received.Data back = assertInstanceOf(
                Received.Data.class,
                p.alice.receive(wrap(atBob.seal(reply, 1420).orElseThrow()), BOB_ADDRESS, false));
        assertArrayEquals(reply, bytes(back.plaintext()));
    }

    @Test
    void matchingPresharedKeysHandshake() {
        Key psk = Key.generatePreshared();
        TwoPeers p = new TwoPeers(psk, psk);
        assertTrue(p.bobAtAlice.hasPresharedKey());
        Keypair atAlice = p.handshake().keypair();
        Received.Data data = assertInstanceOf(
                Received.Data.class,
                p.bob.receive(wrap(atAlice.seal(new byte[] {42}, 0).orElseThrow()), ALICE_ADDRESS, false));
        assertEquals(42, data.plaintext().get(0));
    }

    @Test
    void differentPresharedKeysFailAtTheResponse() {
        TwoPeers p = new TwoPeers(Key.generatePreshared(), Key.generatePreshared());
        assertHandshakeFailsAtResponse(p);
    }

    @Test
    void aPresharedKeyOnOneSideOnlyFails() {
        assertHandshakeFailsAtResponse(new TwoPeers(Key.generatePreshared(), null));
        assertHandshakeFailsAtResponse(new TwoPeers(null, Key.generatePreshared()));
    }

    private static void assertHandshakeFailsAtResponse(TwoPeers p) {
        byte[] initiation = p.alice.createInitiation(p.bobAtAlice).orElseThrow();
        // The responder cannot tell (the psk enters after its static checks); the initiator can.
        Received.Respond respond =
                assertInstanceOf(Received.Respond.class, p.bob.receive(wrap(initiation), ALICE_ADDRESS, false));
        assertEquals(
                new Received.Dropped(Drop.HANDSHAKE_FAILED),
                p.alice.receive(wrap(respond.message()), BOB_ADDRESS, false));
        assertTrue(p.bobAtAlice.currentKeypair().isEmpty());
        assertEquals(1, p.alice.dropped(Drop.HANDSHAKE_FAILED));
    }

    @Test
    void aReplayedInitiationIsRefusedForItsTimestamp() {
        TwoPeers p = new TwoPeers();
        byte[] initiation = p.alice.createInitiation(p.bobAtAlice).orElseThrow();
        assertInstanceOf(Received.Respond.class, p.bob.receive(wrap(initiation), ALICE_ADDRESS, false));
        p.later();
        assertEquals(
                new Received.Dropped(Drop.REPLAYED_TIMESTAMP), p.bob.receive(wrap(initiation), ALICE_ADDRESS, false));
        assertEquals(1, p.bob.dropped(Drop.REPLAYED_TIMESTAMP));
    }

    @Test
    void anOlderInitiationArrivingLateIsRefused() {
        TwoPeers p = new TwoPeers();
        byte[] older = p.alice.createInitiation(p.bobAtAlice).orElseThrow();
        p.later();
        byte[] newer = p.alice.createInitiation(p.bobAtAlice).orElseThrow();
        assertInstanceOf(Received.Respond.class, p.bob.receive(wrap(newer), ALICE_ADDRESS, false));
        p.later();
        assertEquals(new Received.Dropped(Drop.REPLAYED_TIMESTAMP), p.bob.receive(wrap(older), ALICE_ADDRESS, false));
    }

    @Test
    void initiationsWithinOneTimestampStepCarryTheSameTimestampAndTheSecondIsRefused() {
        TwoPeers p = new TwoPeers();
        byte[] first = p.alice.createInitiation(p.bobAtAlice).orElseThrow();
        p.clock.advance(Duration.ofMillis(10)); // below the 2^24 ns TAI64N step
        byte[] second = p.alice.createInitiation(p.bobAtAlice).orElseThrow();
        assertInstanceOf(Received.Respond.class, p.bob.receive(wrap(first), ALICE_ADDRESS, false));
        assertEquals(new Received.Dropped(Drop.REPLAYED_TIMESTAMP), p.bob.receive(wrap(second), ALICE_ADDRESS, false));
    }

    @Test
    void initiationsFasterThanFiftyPerSecondAreRefusedAsAFlood() {
        TwoPeers p = new TwoPeers();
        byte[] first = p.alice.createInitiation(p.bobAtAlice).orElseThrow();
        assertInstanceOf(Received.Respond.class, p.bob.receive(wrap(first), ALICE_ADDRESS, false));
        p.clock.advance(Duration.ofMillis(17)); // a new TAI64N step, but under 1/50 s
        byte[] second = p.alice.createInitiation(p.bobAtAlice).orElseThrow();
        assertEquals(new Received.Dropped(Drop.INITIATION_FLOOD), p.bob.receive(wrap(second), ALICE_ADDRESS, false));
        p.clock.advance(Duration.ofMillis(5)); // 22 ms after the last one consumed
        byte[] third = p.alice.createInitiation(p.bobAtAlice).orElseThrow();
        assertInstanceOf(Received.Respond.class, p.bob.receive(wrap(third), ALICE_ADDRESS, false));
    }

    @Test
    void aWrongMac1IsRefusedBeforeAnyOtherWork() {
        TwoPeers p = new TwoPeers();
        byte[] initiation = p.alice.createInitiation(p.bobAtAlice).orElseThrow();
        byte[] badMac = initiation.clone();
        badMac[Initiation.MAC1] ^= 1;
        assertEquals(new Received.Dropped(Drop.BAD_MAC1), p.bob.receive(wrap(badMac), ALICE_ADDRESS, false));
        byte[] badBody = initiation.clone();
        badBody[Initiation.TIMESTAMP] ^= 1;
        assertEquals(new Received.Dropped(Drop.BAD_MAC1), p.bob.receive(wrap(badBody), ALICE_ADDRESS, false));
        assertEquals(2, p.bob.dropped(Drop.BAD_MAC1));
        // Nothing was consumed: the genuine message still works.
        assertInstanceOf(Received.Respond.class, p.bob.receive(wrap(initiation), ALICE_ADDRESS, false));
    }

    @Test
    void anInitiationForSomeoneElseFailsMac1() {
        TwoPeers p = new TwoPeers();
        Protocol carol = new Protocol(Key.generatePrivate(), p.clock);
        carol.addPeer(p.alice.publicKey(), null);
        byte[] initiation = p.alice.createInitiation(p.bobAtAlice).orElseThrow();
        assertEquals(new Received.Dropped(Drop.BAD_MAC1), carol.receive(wrap(initiation), ALICE_ADDRESS, false));
    }

    @Test
    void anInitiationFromAStrangerIsRefused() {
        TwoPeers p = new TwoPeers();
        Protocol mallory = new Protocol(Key.generatePrivate(), p.clock);
        Peer bobAtMallory = mallory.addPeer(p.bob.publicKey(), null);
        byte[] initiation = mallory.createInitiation(bobAtMallory).orElseThrow();
        assertEquals(new Received.Dropped(Drop.UNKNOWN_PEER), p.bob.receive(wrap(initiation), ALICE_ADDRESS, false));
    }

    @Test
    void aLowOrderEphemeralKeyFailsTheHandshake() {
        TwoPeers p = new TwoPeers();
        Initiation genuine = Initiation.parse(
                        wrap(p.alice.createInitiation(p.bobAtAlice).orElseThrow()))
                .orElseThrow();
        byte[] forged = new Initiation(
                        genuine.sender(),
                        new byte[32],
                        genuine.encryptedStatic(),
                        genuine.encryptedTimestamp(),
                        new byte[16],
                        new byte[16])
                .toBytes();
        new CookieGenerator(p.bob.publicKey().toBytes(), p.clock).stamp(forged); // a valid mac1
        assertEquals(new Received.Dropped(Drop.HANDSHAKE_FAILED), p.bob.receive(wrap(forged), ALICE_ADDRESS, false));
    }

    @Test
    void aPeerWithALowOrderPublicKeyCannotHandshake() {
        TwoPeers p = new TwoPeers();
        Peer broken = p.alice.addPeer(Key.fromBytes(new byte[32]), null);
        assertFalse(broken.canHandshake());
        assertTrue(p.alice.createInitiation(broken).isEmpty());
        assertTrue(p.bobAtAlice.canHandshake());
    }

    @Test
    void aResponseIsOnlyTakenOnceAndOnlyForAnInitiationInFlight() {
        TwoPeers p = new TwoPeers();
        byte[] initiation = p.alice.createInitiation(p.bobAtAlice).orElseThrow();
        byte[] response = ((Received.Respond) p.bob.receive(wrap(initiation), ALICE_ADDRESS, false)).message();
        assertInstanceOf(Received.Established.class, p.alice.receive(wrap(response), BOB_ADDRESS, false));
        // Its index now names a keypair, not a handshake.
        assertEquals(new Received.Dropped(Drop.UNKNOWN_INDEX), p.alice.receive(wrap(response), BOB_ADDRESS, false));
    }

    @Test
    void aResponseToASupersededInitiationIsRefused() {
        TwoPeers p = new TwoPeers();
        byte[] first = p.alice.createInitiation(p.bobAtAlice).orElseThrow();
        byte[] response = ((Received.Respond) p.bob.receive(wrap(first), ALICE_ADDRESS, false)).message();
        p.later();
        p.alice.createInitiation(p.bobAtAlice).orElseThrow(); // a retry replaces the first
        assertEquals(new Received.Dropped(Drop.UNKNOWN_INDEX), p.alice.receive(wrap(response), BOB_ADDRESS, false));
    }

    @Test
    void aCorruptedResponseLeavesTheInitiationInFlightForTheGenuineOne() {
        TwoPeers p = new TwoPeers();
        byte[] initiation = p.alice.createInitiation(p.bobAtAlice).orElseThrow();
        byte[] response = ((Received.Respond) p.bob.receive(wrap(initiation), ALICE_ADDRESS, false)).message();
        Response genuine = Response.parse(wrap(response)).orElseThrow();
        byte[] nothing = genuine.encryptedNothing().clone();
        nothing[0] ^= 1;
        byte[] forged = new Response(
                        genuine.sender(), genuine.receiver(), genuine.ephemeral(), nothing, new byte[16], new byte[16])
                .toBytes();
        new CookieGenerator(p.alice.publicKey().toBytes(), p.clock).stamp(forged);
        assertEquals(new Received.Dropped(Drop.HANDSHAKE_FAILED), p.alice.receive(wrap(forged), BOB_ADDRESS, false));
        assertInstanceOf(Received.Established.class, p.alice.receive(wrap(response), BOB_ADDRESS, false));
    }

    @Test
    void indicesAreFreshPerHandshakeAndFreedWhenKeypairsRotateOut() {
        TwoPeers p = new TwoPeers();
        Keypair first = p.handshake().keypair();
        p.later();
        Keypair second = p.handshake().keypair();
        p.later();
        Keypair third = p.handshake().keypair();
        assertNotEquals(first.localIndex(), second.localIndex());
        assertNotEquals(second.localIndex(), third.localIndex());
        // Alice keeps current and previous; the first keypair is gone, zeroed, its index free.
        assertSame(third, p.bobAtAlice.currentKeypair().orElseThrow());
        assertSame(second, p.bobAtAlice.previousKeypair().orElseThrow());
        assertTrue(first.isExpired());
        assertEquals(2, p.alice.liveIndices());
    }

    @Test
    void dataOnThePreviousKeypairStillArrivesAfterARekey() {
        TwoPeers p = new TwoPeers();
        Keypair old = p.handshake().keypair();
        byte[] inFlight = old.seal(new byte[] {1}, 0).orElseThrow();
        assertInstanceOf(
                Received.Data.class,
                p.bob.receive(wrap(old.seal(new byte[] {0}, 0).orElseThrow()), ALICE_ADDRESS, false));
        p.later();
        Keypair fresh = p.handshake().keypair();
        assertInstanceOf(
                Received.Data.class,
                p.bob.receive(wrap(fresh.seal(new byte[] {2}, 0).orElseThrow()), ALICE_ADDRESS, false));
        Received.Data late = assertInstanceOf(Received.Data.class, p.bob.receive(wrap(inFlight), ALICE_ADDRESS, false));
        assertEquals(1, late.plaintext().get(0));
        assertEquals(
                old.remoteIndex(), p.aliceAtBob.previousKeypair().orElseThrow().localIndex());
    }

    @Test
    void removingAPeerZeroesItsKeypairsAndFreesItsIndices() {
        TwoPeers p = new TwoPeers();
        Keypair keypair = p.handshake().keypair();
        p.alice.removePeer(p.bobAtAlice);
        assertTrue(keypair.isExpired());
        assertEquals(0, p.alice.liveIndices());
        assertTrue(p.alice.peer(p.bob.publicKey()).isEmpty());
        assertTrue(keypair.seal(new byte[1], 0).isEmpty());
    }

    @Test
    void ourOwnKeyAndDuplicatesCannotBePeers() {
        TwoPeers p = new TwoPeers();
        assertThrows(IllegalArgumentException.class, () -> p.alice.addPeer(p.alice.publicKey(), null));
        assertThrows(IllegalArgumentException.class, () -> p.alice.addPeer(p.bob.publicKey(), null));
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] out = new byte[buffer.remaining()];
        buffer.duplicate().get(out);
        // Strip the zero padding the way the IP header length would.
        int length = out.length;
        while (length > 0 && out[length - 1] == 0) {
            length--;
        }
        return java.util.Arrays.copyOf(out, length);
    }
}
