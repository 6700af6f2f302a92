package dev.wgpr.tunnel.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.wgpr.common.fuzz.MutatedSeeds;
import dev.wgpr.tunnel.ManualClock;
import dev.wgpr.tunnel.crypto.Key;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The whole receive path of a configured interface, {@link Protocol#receive}, on sequences of arbitrary
 * datagrams. Two interfaces that know each other (Alice, who has an initiation in flight, and Bob) are
 * built from fixed keys, a fixed random seed and a manual clock, so that an input replays exactly: the
 * seeds are real handshakes, cookie exchanges and transport data, and the fuzzer mutates from there.
 *
 * <p>An input is a list of frames: a control byte (which side receives, under load or not, the source,
 * the kind of buffer, whether time passes or Alice re-initiates first), a little-endian 16-bit word
 * (low 11 bits: datagram length; bits 11-12: a larger clock step) and the datagram. Per datagram:
 * nothing is thrown; a drop is counted once, under its reason, and nothing else is; a datagram that is
 * no well-formed message is dropped as {@link Drop#MALFORMED}; what is sent back is a well-formed
 * message; and the index table stays bounded.
 */
class ProtocolReceiveFuzzTest {
    static final String TARGET = "receiveCountsEveryDropAndThrowsNothing";
    private static final int MAX_FRAMES = 32;
    private static final int MAX_LIVE_INDICES = 4; // per peer: an initiation in flight and three keypairs
    private static final InetSocketAddress ALICE_ADDRESS = address("192.0.2.1", 51820);
    private static final InetSocketAddress BOB_ADDRESS = address("198.51.100.7", 51820);
    private static final InetSocketAddress V6_ADDRESS = address("2001:db8::7", 443);

    /** Alice and Bob on one manual clock, all randomness from a fixed seed; Alice has an initiation out. */
    static final class Interfaces {
        final ManualClock clock = new ManualClock();
        final SecureRandom random = deterministicRandom();
        final Protocol alice = new Protocol(fixedKey(1), clock, random);
        final Protocol bob = new Protocol(fixedKey(2), clock, random);
        final Peer bobAtAlice = alice.addPeer(bob.publicKey(), null);
        final Peer aliceAtBob = bob.addPeer(alice.publicKey(), null);
        final byte[] initiation = alice.createInitiation(bobAtAlice).orElseThrow();

        Protocol side(int control) {
            return (control & 1) == 0 ? bob : alice;
        }
    }

    @FuzzTest(maxDuration = "10s")
    void receiveCountsEveryDropAndThrowsNothing(byte[] input) {
        check(input);
    }

    @Test
    void mutatedSeedsKeepTheReceiveContract() {
        MutatedSeeds.check(getClass(), TARGET, 2_000, List.of(), ProtocolReceiveFuzzTest::check);
    }

    @Test
    void theSeedsReachEveryKindOfResult() throws Exception {
        Set<Class<?>> seen = new HashSet<>();
        for (byte[] seed : MutatedSeeds.seeds(getClass(), TARGET)) {
            replay(seed, received -> seen.add(received.getClass()));
        }
        assertEquals(
                Set.of(
                        Received.Respond.class,
                        Received.SendCookie.class,
                        Received.Established.class,
                        Received.CookieStored.class,
                        Received.Data.class,
                        Received.Dropped.class),
                seen);
    }

    static void check(byte[] input) {
        replay(input, received -> {});
    }

    private static void replay(byte[] input, java.util.function.Consumer<Received> seen) {
        Interfaces net = new Interfaces();
        ByteBuffer frames = ByteBuffer.wrap(input);
        for (int frame = 0; frame < MAX_FRAMES && frames.remaining() >= 3; frame++) {
            int control = frames.get() & 0xff;
            int word = (frames.get() & 0xff) | (frames.get() & 0xff) << 8;
            byte[] datagram = new byte[Math.min(word & 0x7ff, frames.remaining())];
            frames.get(datagram);
            net.clock.advance(clockStep(control, word));
            if ((control & 0x80) != 0) {
                net.alice.createInitiation(net.bobAtAlice);
            }
            Received received = receiveOne(net, control, datagram);
            seen.accept(received);
        }
    }

    private static Received receiveOne(Interfaces net, int control, byte[] datagram) {
        Protocol side = net.side(control);
        boolean underLoad = (control & 2) != 0;
        InetSocketAddress source = switch ((control >>> 2) & 3) {
            case 0 -> null;
            case 1 -> ALICE_ADDRESS;
            case 2 -> BOB_ADDRESS;
            default -> V6_ADDRESS;
        };
        ByteBuffer buffer = buffer(datagram, control);
        Map<Drop, Long> before = counters(side);

        Received received = side.receive(buffer, source, underLoad);

        Map<Drop, Long> after = counters(side);
        for (Drop reason : Drop.values()) {
            long expected = received instanceof Received.Dropped(Drop dropped) && dropped == reason ? 1 : 0;
            assertEquals(expected, after.get(reason) - before.get(reason), "count of " + reason + " for " + received);
        }
        if (!wellFormed(datagram)) {
            assertEquals(new Received.Dropped(Drop.MALFORMED), received);
        }
        switch (received) {
            case Received.Respond respond -> {
                Response response =
                        Response.parse(ByteBuffer.wrap(respond.message())).orElseThrow();
                assertEquals(
                        Initiation.parse(ByteBuffer.wrap(datagram))
                                .orElseThrow()
                                .sender(),
                        response.receiver());
            }
            case Received.SendCookie cookie -> {
                assertTrue(underLoad, "a cookie reply when not under load");
                assertTrue(CookieReply.parse(ByteBuffer.wrap(cookie.message())).isPresent());
            }
            case Received.Data data ->
                assertTrue(data.plaintext().remaining() <= datagram.length - TransportHeader.MIN_MESSAGE_SIZE);
            default -> {}
        }
        assertTrue(net.alice.liveIndices() <= MAX_LIVE_INDICES, "Alice's index table grows");
        assertTrue(net.bob.liveIndices() <= MAX_LIVE_INDICES, "Bob's index table grows");
        return received;
    }

    /** Whether the datagram is a message of its type's size with zero reserved bytes. */
    private static boolean wellFormed(byte[] datagram) {
        ByteBuffer buffer = ByteBuffer.wrap(datagram);
        return switch (Messages.typeOf(buffer)) {
            case Messages.INITIATION -> datagram.length == Initiation.SIZE;
            case Messages.RESPONSE -> datagram.length == Response.SIZE;
            case Messages.COOKIE_REPLY -> datagram.length == CookieReply.SIZE;
            case Messages.TRANSPORT_DATA -> datagram.length >= TransportHeader.MIN_MESSAGE_SIZE;
            default -> false;
        };
    }

    private static Duration clockStep(int control, int word) {
        Duration step = (control & 0x40) != 0 ? Duration.ofMillis(50) : Duration.ZERO;
        return switch ((word >>> 11) & 3) {
            case 1 -> step.plusSeconds(1);
            case 2 -> step.plusSeconds(121); // past rekey and the cookie secret's life
            case 3 -> step.plusSeconds(181); // past reject-after-time
            default -> step;
        };
    }

    private static ByteBuffer buffer(byte[] datagram, int control) {
        if ((control & 0x20) != 0) {
            ByteBuffer direct = ByteBuffer.allocateDirect(datagram.length + 5);
            direct.position(5);
            direct.put(datagram).position(5);
            return direct;
        }
        ByteBuffer heap = ByteBuffer.wrap(datagram.clone());
        return (control & 0x10) != 0 ? heap.asReadOnlyBuffer() : heap;
    }

    private static Map<Drop, Long> counters(Protocol protocol) {
        Map<Drop, Long> counts = new EnumMap<>(Drop.class);
        for (Drop reason : Drop.values()) {
            counts.put(reason, protocol.dropped(reason));
        }
        return counts;
    }

    /**
     * Writes the seed corpora of this target and of {@link MessageParsersFuzzTest}: real messages from
     * the same deterministic interfaces the target replays on. Run after a change to the handshake:
     * {@code mvn -pl tunnel -am test -Dtest=ProtocolReceiveFuzzTest#writeSeeds -Dwgpr.fuzz.writeSeeds=true
     * -Dsurefire.failIfNoSpecifiedTests=false}.
     */
    @Test
    @EnabledIfSystemProperty(named = "wgpr.fuzz.writeSeeds", matches = "true")
    void writeSeeds() throws IOException {
        Path resources = Path.of("src/test/resources/dev/wgpr/tunnel/protocol");
        Path receive = resources.resolve("ProtocolReceiveFuzzTestInputs").resolve(TARGET);
        Path parsers = resources.resolve("MessageParsersFuzzTestInputs");

        // A handshake, then data both ways and a keepalive.
        Interfaces net = new Interfaces();
        Recorder handshake = new Recorder();
        Received.Respond respond = (Received.Respond) handshake.send(net, BOB, net.initiation);
        Received.Established established = (Received.Established) handshake.send(net, ALICE, respond.message());
        byte[] data = established.keypair().seal(new byte[100], 1420).orElseThrow();
        handshake.send(net, BOB, data);
        byte[] reply = respond.keypair().seal(new byte[60], 1420).orElseThrow();
        handshake.send(net, ALICE, reply);
        byte[] keepalive = established.keypair().seal(new byte[0], 1420).orElseThrow();
        handshake.send(net, BOB, keepalive);
        handshake.send(net, BOB, data); // replayed counter
        write(receive, "handshake-data-keepalive-replay", handshake.bytes());

        // Under load: a cookie reply, Alice stores the cookie, re-initiates with mac2 and is answered.
        net = new Interfaces();
        Recorder cookie = new Recorder();
        Received.SendCookie sendCookie =
                (Received.SendCookie) cookie.send(net, BOB | UNDER_LOAD | FROM_ALICE, net.initiation);
        cookie.send(net, ALICE, sendCookie.message());
        net.clock.advance(Duration.ofMillis(50));
        byte[] withMac2 = net.alice.createInitiation(net.bobAtAlice).orElseThrow();
        cookie.send(net, BOB | UNDER_LOAD | FROM_ALICE | LATER_AND_REINITIATE, withMac2, true);
        write(receive, "cookie-under-load", cookie.bytes());

        // Expiry: data for a keypair older than reject-after-time.
        net = new Interfaces();
        Recorder expiry = new Recorder();
        respond = (Received.Respond) expiry.send(net, BOB, net.initiation);
        established = (Received.Established) expiry.send(net, ALICE, respond.message());
        data = established.keypair().seal(new byte[16], 1420).orElseThrow();
        expiry.frame(BOB, 3 << 11, data);
        write(receive, "expired-keypair", expiry.bytes());

        write(receive, "garbage", new byte[] {0, 5, 0, 1, 2, 3, 4, 5, 1, 3, 0, 4, 0, 0});

        write(parsers.resolve("initiationParseRoundTripsWhatItAccepts"), "initiation", net.initiation);
        write(parsers.resolve("initiationParseRoundTripsWhatItAccepts"), "initiation-with-mac2", withMac2);
        write(parsers.resolve("responseParseRoundTripsWhatItAccepts"), "response", respond.message());
        write(parsers.resolve("cookieReplyParseRoundTripsWhatItAccepts"), "cookie-reply", sendCookie.message());
        write(parsers.resolve("transportHeaderParseRoundTripsWhatItAccepts"), "data", data);
        write(parsers.resolve("transportHeaderParseRoundTripsWhatItAccepts"), "keepalive", keepalive);
        Path types = parsers.resolve("typeOfNamesOnlyTheFourTypesWithZeroReservedBytes");
        write(types, "initiation", net.initiation);
        write(types, "response", respond.message());
        write(types, "cookie-reply", sendCookie.message());
        write(types, "keepalive", keepalive);
    }

    private static final int BOB = 0;
    private static final int ALICE = 1;
    private static final int UNDER_LOAD = 2;
    private static final int FROM_ALICE = 1 << 2;
    private static final int LATER_AND_REINITIATE = 0x40 | 0x80;

    /** Delivers datagrams and records them as frames. */
    private static final class Recorder {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Received send(Interfaces net, int control, byte[] datagram) {
            return send(net, control, datagram, false);
        }

        /** With {@code alreadyDone}, the clock step and re-initiation in {@code control} happened already. */
        Received send(Interfaces net, int control, byte[] datagram, boolean alreadyDone) {
            frame(control, 0, datagram);
            if (!alreadyDone) {
                net.clock.advance(clockStep(control, 0));
                if ((control & 0x80) != 0) {
                    net.alice.createInitiation(net.bobAtAlice);
                }
            }
            return receiveOne(net, control, datagram);
        }

        void frame(int control, int flags, byte[] datagram) {
            int word = datagram.length | flags;
            out.write(control);
            out.write(word & 0xff);
            out.write(word >>> 8);
            out.writeBytes(datagram);
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    private static void write(Path directory, String name, byte[] bytes) throws IOException {
        Files.createDirectories(directory);
        Files.write(directory.resolve(name), bytes);
    }

    private static Key fixedKey(int n) {
        byte[] bytes = new byte[Key.LENGTH];
        java.util.Arrays.fill(bytes, (byte) (0x40 + n));
        return Key.fromBytes(bytes);
    }

    private static SecureRandom deterministicRandom() {
        try {
            SecureRandom random = SecureRandom.getInstance("SHA1PRNG");
            random.setSeed(20261122L);
            return random;
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private static InetSocketAddress address(String ip, int port) {
        try {
            return new InetSocketAddress(InetAddress.getByName(ip), port);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
