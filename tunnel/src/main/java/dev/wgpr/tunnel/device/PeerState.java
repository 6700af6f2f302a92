package dev.wgpr.tunnel.device;

import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.tunnel.crypto.Key;
import dev.wgpr.tunnel.protocol.Keypair;
import dev.wgpr.tunnel.protocol.Peer;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One peer as the device runs it: settings, endpoint, counters, the packets waiting for a session, and
 * the timer state of whitepaper section 6 (kept as deadlines on the {@code Clock} scale, which {@link
 * Device#tick()} compares with the time; {@link #NONE} when unset).
 *
 * <p>Deadlines and timestamps are volatile and updated without a lock on the data path: a lost update only
 * moves a keepalive or a rekey by one packet. The handshake state and the staged queue are guarded by this.
 */
final class PeerState {
    static final long NONE = Long.MIN_VALUE;
    /** wireguard-go's QueueStagedSize: packets kept while a handshake is under way, oldest dropped first. */
    static final int MAX_STAGED = 128;

    final Key publicKey;
    final long order;
    volatile Peer peer;
    volatile Optional<Key> presharedKey = Optional.empty();
    volatile InetSocketAddress endpoint;
    volatile int persistentKeepaliveSeconds;
    volatile List<IpPrefix> allowedIps = List.of();

    final AtomicLong rxBytes = new AtomicLong();
    final AtomicLong txBytes = new AtomicLong();
    volatile long lastHandshakeEpochNanos;

    /** Send a keepalive then, unless something else is sent first (we received data). */
    volatile long keepaliveDue = NONE;
    /** Initiate a handshake then, unless something is received first (we sent data). */
    volatile long newHandshakeDue = NONE;
    /** Zero all keys then (3 x reject-after-time after the last session was derived). */
    volatile long zeroKeysAt = NONE;
    /** The last authenticated packet sent or received: the base of the persistent keepalive. */
    volatile long lastTraversal = NONE;

    // Guarded by this.
    boolean handshakeInFlight;
    long lastInitiationSent = NONE;
    long retransmitAt = NONE;
    int retransmits;
    /** Our responder keypair, which becomes current when the initiator's first data arrives. */
    Keypair awaitingConfirmation;

    final ArrayDeque<byte[]> staged = new ArrayDeque<>();

    PeerState(Key publicKey, long order) {
        this.publicKey = publicKey;
        this.order = order;
    }

    /** Keeps a packet for when a session exists; drops the oldest beyond {@link #MAX_STAGED}. */
    synchronized void stage(byte[] packet) {
        if (staged.size() >= MAX_STAGED) {
            staged.pollFirst();
        }
        staged.addLast(packet);
    }

    synchronized byte[][] takeStaged() {
        byte[][] packets = staged.toArray(byte[][]::new);
        staged.clear();
        return packets;
    }

    /** An authenticated message came from the peer: it is alive, at {@code source} (roaming). */
    void receivedAuthenticated(InetSocketAddress source, int datagramLength, long now) {
        if (source != null && !source.equals(endpoint)) {
            endpoint = source; // roaming: answer where the peer is now
        }
        rxBytes.addAndGet(datagramLength);
        if (newHandshakeDue != NONE) {
            newHandshakeDue = NONE;
        }
        lastTraversal = now;
    }

    /** An authenticated message goes to the peer: no keepalive needed. Called before the send. */
    void sentAuthenticated(long now) {
        if (keepaliveDue != NONE) {
            keepaliveDue = NONE;
        }
        lastTraversal = now;
    }

    void handshakeComplete(Instant now) {
        synchronized (this) {
            handshakeInFlight = false;
            retransmits = 0;
        }
        lastHandshakeEpochNanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    @Override
    public String toString() {
        return "peer " + publicKey.toBase64().substring(0, 8) + "…";
    }
}
