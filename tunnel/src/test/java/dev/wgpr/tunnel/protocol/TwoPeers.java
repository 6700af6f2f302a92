package dev.wgpr.tunnel.protocol;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.wgpr.tunnel.ManualClock;
import dev.wgpr.tunnel.crypto.Key;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.time.Duration;

/** Alice and Bob, two in-memory interfaces that know each other, on one manual clock. No sockets. */
final class TwoPeers {
    static final InetSocketAddress ALICE_ADDRESS = address(192, 0, 2, 1, 51820);
    static final InetSocketAddress BOB_ADDRESS = address(198, 51, 100, 7, 51820);

    final ManualClock clock = new ManualClock();
    final Protocol alice = new Protocol(Key.generatePrivate(), clock);
    final Protocol bob = new Protocol(Key.generatePrivate(), clock);
    final Peer bobAtAlice;
    final Peer aliceAtBob;

    TwoPeers() {
        this(null, null);
    }

    TwoPeers(Key alicesPsk, Key bobsPsk) {
        bobAtAlice = alice.addPeer(bob.publicKey(), alicesPsk);
        aliceAtBob = bob.addPeer(alice.publicKey(), bobsPsk);
    }

    /** Alice initiates, Bob responds, Alice completes. */
    Received.Established handshake() {
        byte[] initiation = alice.createInitiation(bobAtAlice).orElseThrow();
        Received.Respond respond =
                assertInstanceOf(Received.Respond.class, bob.receive(wrap(initiation), ALICE_ADDRESS, false));
        return assertInstanceOf(Received.Established.class, alice.receive(wrap(respond.message()), BOB_ADDRESS, false));
    }

    /** Moves past the 1/50 s initiation rate limit and into a new TAI64N step. */
    void later() {
        clock.advance(Duration.ofMillis(50));
    }

    static ByteBuffer wrap(byte[] message) {
        return ByteBuffer.wrap(message.clone());
    }

    static InetSocketAddress address(int a, int b, int c, int d, int port) {
        try {
            return new InetSocketAddress(
                    InetAddress.getByAddress(new byte[] {(byte) a, (byte) b, (byte) c, (byte) d}), port);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
