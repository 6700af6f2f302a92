package dev.wgpr.tunnel.protocol;

import static dev.wgpr.tunnel.protocol.TwoPeers.ALICE_ADDRESS;
import static dev.wgpr.tunnel.protocol.TwoPeers.BOB_ADDRESS;
import static dev.wgpr.tunnel.protocol.TwoPeers.address;
import static dev.wgpr.tunnel.protocol.TwoPeers.wrap;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.tunnel.ManualClock;
import dev.wgpr.tunnel.crypto.Blake2s;
import dev.wgpr.tunnel.crypto.Key;
import dev.wgpr.tunnel.crypto.XChaChaPoly;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class CookieTest {
    @Test
    void underLoadAnInitiationWithoutMac2GetsACookieAndTheRetryWithMac2IsAccepted() {
        TwoPeers p = new TwoPeers();
        byte[] first = p.alice.createInitiation(p.bobAtAlice).orElseThrow();
        assertArrayEquals(new byte[16], Arrays.copyOfRange(first, Initiation.MAC2, Initiation.SIZE));

        Received.SendCookie cookie =
                assertInstanceOf(Received.SendCookie.class, p.bob.receive(wrap(first), ALICE_ADDRESS, true));
        assertEquals(CookieReply.SIZE, cookie.message().length);
        assertEquals(
                Initiation.parse(wrap(first)).orElseThrow().sender(),
                CookieReply.parse(wrap(cookie.message())).orElseThrow().receiver());

        Received.CookieStored stored = assertInstanceOf(
                Received.CookieStored.class, p.alice.receive(wrap(cookie.message()), BOB_ADDRESS, false));
        assertSame(p.bobAtAlice, stored.peer());

        p.later();
        byte[] retry = p.alice.createInitiation(p.bobAtAlice).orElseThrow();
        assertFalse(Arrays.equals(new byte[16], Arrays.copyOfRange(retry, Initiation.MAC2, Initiation.SIZE)));
        Received.Respond respond =
                assertInstanceOf(Received.Respond.class, p.bob.receive(wrap(retry), ALICE_ADDRESS, true));
        assertInstanceOf(Received.Established.class, p.alice.receive(wrap(respond.message()), BOB_ADDRESS, false));
    }

    @Test
    void aCookieReplyCostsTheResponderNoHandshakeState() {
        TwoPeers p = new TwoPeers();
        byte[] initiation = p.alice.createInitiation(p.bobAtAlice).orElseThrow();
        assertInstanceOf(Received.SendCookie.class, p.bob.receive(wrap(initiation), ALICE_ADDRESS, true));
        assertEquals(0, p.bob.liveIndices());
        // The same initiation is still fresh once the load is gone: nothing about it was recorded.
        assertInstanceOf(Received.Respond.class, p.bob.receive(wrap(initiation), ALICE_ADDRESS, false));
    }

    @Test
    void theCookieIsBoundToTheSourceAddressAndPort() {
        TwoPeers p = new TwoPeers();
        getCookie(p);
        p.later();
        byte[] retry = p.alice.createInitiation(p.bobAtAlice).orElseThrow();
        InetSocketAddress otherPort = address(192, 0, 2, 1, 51821);
        InetSocketAddress otherHost = address(192, 0, 2, 2, 51820);
        assertInstanceOf(Received.SendCookie.class, p.bob.receive(wrap(retry), otherPort, true));
        assertInstanceOf(Received.SendCookie.class, p.bob.receive(wrap(retry), otherHost, true));
        assertInstanceOf(Received.Respond.class, p.bob.receive(wrap(retry), ALICE_ADDRESS, true));
    }

    @Test
    void aCookieReplyOpensOnlyAgainstTheLastMessageSent() {
        TwoPeers p = new TwoPeers();
        byte[] first = p.alice.createInitiation(p.bobAtAlice).orElseThrow();
        byte[] reply = ((Received.SendCookie) p.bob.receive(wrap(first), ALICE_ADDRESS, true)).message();
        p.later();
        byte[] second = p.alice.createInitiation(p.bobAtAlice).orElseThrow(); // new mac1, new index
        assertNotEquals(
                Initiation.parse(wrap(first)).orElseThrow().sender(),
                Initiation.parse(wrap(second)).orElseThrow().sender());
        // The reply names the first initiation's index, which the retry freed.
        assertEquals(new Received.Dropped(Drop.UNKNOWN_INDEX), p.alice.receive(wrap(reply), BOB_ADDRESS, false));

        // Same index, but mac1 of another message: the associated data does not match.
        CookieReply parsed = CookieReply.parse(wrap(reply)).orElseThrow();
        byte[] redirected = new CookieReply(
                        Initiation.parse(wrap(second)).orElseThrow().sender(), parsed.nonce(), parsed.encryptedCookie())
                .toBytes();
        assertEquals(new Received.Dropped(Drop.INVALID_COOKIE), p.alice.receive(wrap(redirected), BOB_ADDRESS, false));
    }

    @Test
    void aCookieReplyIsTakenOnlyOnce() {
        TwoPeers p = new TwoPeers();
        byte[] reply = getCookie(p);
        assertEquals(new Received.Dropped(Drop.INVALID_COOKIE), p.alice.receive(wrap(reply), BOB_ADDRESS, false));
    }

    @Test
    void theInitiatorStopsUsingACookieBeforeTheResponderSecretCouldHaveChanged() {
        TwoPeers p = new TwoPeers();
        getCookie(p);
        p.clock.advance(Duration.ofSeconds(114));
        byte[] fresh = p.alice.createInitiation(p.bobAtAlice).orElseThrow();
        assertFalse(Arrays.equals(new byte[16], Arrays.copyOfRange(fresh, Initiation.MAC2, Initiation.SIZE)));
        p.clock.advance(Duration.ofSeconds(2)); // 116 s: past 120 s - 5 s
        byte[] stale = p.alice.createInitiation(p.bobAtAlice).orElseThrow();
        assertArrayEquals(new byte[16], Arrays.copyOfRange(stale, Initiation.MAC2, Initiation.SIZE));
        assertInstanceOf(Received.SendCookie.class, p.bob.receive(wrap(stale), ALICE_ADDRESS, true));
    }

    @Test
    void theResponderCookieSecretRotatesAfterTwoMinutes() {
        ManualClock clock = new ManualClock();
        Key responder = Key.generatePrivate();
        byte[] responderPublic = responder.publicKey().toBytes();
        CookieChecker checker = new CookieChecker(responderPublic, clock, new SecureRandom());
        CookieGenerator initiatorSide = new CookieGenerator(responderPublic, clock);
        byte[] message = new byte[Initiation.SIZE];
        message[0] = Messages.INITIATION;
        initiatorSide.stamp(message);
        assertTrue(checker.mac1Valid(message));
        assertFalse(checker.mac2Valid(message, ALICE_ADDRESS));

        CookieReply reply = checker.reply(message, 7, ALICE_ADDRESS);
        byte[] cookie = XChaChaPoly.open(
                        Blake2s.hash(Noise.LABEL_COOKIE, responderPublic),
                        reply.nonce(),
                        reply.encryptedCookie(),
                        Arrays.copyOfRange(message, Initiation.MAC1, Initiation.MAC2))
                .orElseThrow();
        byte[] mac2 = Blake2s.mac(cookie, message, 0, Initiation.MAC2);
        System.arraycopy(mac2, 0, message, Initiation.MAC2, 16);

        assertTrue(checker.mac2Valid(message, ALICE_ADDRESS));
        clock.advance(Duration.ofSeconds(119));
        assertTrue(checker.mac2Valid(message, ALICE_ADDRESS));
        clock.advance(Duration.ofSeconds(2));
        assertFalse(checker.mac2Valid(message, ALICE_ADDRESS));
        // A new reply makes a new secret, so the old cookie stays invalid.
        checker.reply(message, 7, ALICE_ADDRESS);
        assertFalse(checker.mac2Valid(message, ALICE_ADDRESS));
    }

    @Test
    void anInitiatorUnderLoadSendsACookieForAResponseAndTheResponderStoresIt() {
        TwoPeers p = new TwoPeers();
        byte[] initiation = p.alice.createInitiation(p.bobAtAlice).orElseThrow();
        byte[] response = ((Received.Respond) p.bob.receive(wrap(initiation), ALICE_ADDRESS, false)).message();
        Received.SendCookie cookie =
                assertInstanceOf(Received.SendCookie.class, p.alice.receive(wrap(response), BOB_ADDRESS, true));
        Received.CookieStored stored = assertInstanceOf(
                Received.CookieStored.class, p.bob.receive(wrap(cookie.message()), ALICE_ADDRESS, false));
        assertSame(p.aliceAtBob, stored.peer());
    }

    /** Alice initiates under load, Bob replies with a cookie, Alice stores it; the reply is returned. */
    private static byte[] getCookie(TwoPeers p) {
        byte[] initiation = p.alice.createInitiation(p.bobAtAlice).orElseThrow();
        byte[] reply = ((Received.SendCookie) p.bob.receive(wrap(initiation), ALICE_ADDRESS, true)).message();
        assertInstanceOf(Received.CookieStored.class, p.alice.receive(wrap(reply), BOB_ADDRESS, false));
        return reply;
    }
}
