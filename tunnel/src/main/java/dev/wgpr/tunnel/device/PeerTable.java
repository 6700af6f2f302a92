package dev.wgpr.tunnel.device;

import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.tunnel.Clock;
import dev.wgpr.tunnel.crypto.Key;
import dev.wgpr.tunnel.protocol.Keypair;
import dev.wgpr.tunnel.protocol.Peer;
import dev.wgpr.tunnel.protocol.Protocol;
import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The device's configuration: its private key (and the {@link Protocol} made from it), its peers, and the
 * indexes the data path reads, by allowed IP and by protocol peer. Changes are serialized; the indexes are
 * swapped in whole, so the data path reads them without locking.
 */
final class PeerTable {
    private final Clock clock;
    private final Object lock = new Object();
    private final Map<Key, PeerState> byKey = new ConcurrentHashMap<>();
    private volatile Map<Peer, PeerState> byProtocolPeer = Map.of();
    private volatile AllowedIps<PeerState> routes = AllowedIps.empty();
    private volatile Protocol protocol;
    private volatile Optional<Key> privateKey = Optional.empty();
    private long nextOrder;

    PeerTable(Clock clock) {
        this.clock = clock;
    }

    /** The protocol of the current private key; null without one. */
    Protocol protocol() {
        return protocol;
    }

    /** Cryptokey routing: which peer an address belongs to. */
    AllowedIps<PeerState> routes() {
        return routes;
    }

    /** The device's peer behind the protocol's {@code peer}; null when it was removed meanwhile. */
    PeerState of(Peer peer) {
        return byProtocolPeer.get(peer);
    }

    Collection<PeerState> all() {
        return byKey.values();
    }

    void setPrivateKey(Optional<Key> key) {
        synchronized (lock) {
            if (key.equals(privateKey)) {
                return;
            }
            Protocol old = protocol;
            Protocol fresh = key.map(k -> new Protocol(k, clock)).orElse(null);
            privateKey = key;
            protocol = fresh;
            for (PeerState state : byKey.values()) {
                if (old != null && state.peer != null) {
                    old.removePeer(state.peer);
                }
                state.peer = fresh == null ? null : addToProtocol(fresh, state);
                synchronized (state) {
                    state.handshakeInFlight = false;
                    state.awaitingConfirmation = null;
                    state.lastInitiationSent = PeerState.NONE;
                }
            }
            rebuildIndexes();
        }
    }

    private static Peer addToProtocol(Protocol protocol, PeerState state) {
        if (state.publicKey.equals(protocol.publicKey())) {
            return null; // a device is never its own peer; the entry stays, inert
        }
        return protocol.addPeer(state.publicKey, state.presharedKey.orElse(null));
    }

    /**
     * Adds or updates a peer; returns it when its persistent keepalive starts with this change (the caller
     * sends the first keepalive at once, as wireguard-go does), else empty.
     */
    Optional<PeerState> set(PeerSettings settings) {
        synchronized (lock) {
            PeerState state = byKey.get(settings.publicKey());
            boolean created = state == null;
            if (created) {
                state = new PeerState(settings.publicKey(), nextOrder++);
            }
            state.presharedKey = settings.presharedKey();
            if (settings.endpoint().isPresent()) {
                state.endpoint = settings.endpoint().get();
            }
            boolean keepaliveStarts =
                    settings.persistentKeepaliveSeconds() > 0 && state.persistentKeepaliveSeconds == 0;
            state.persistentKeepaliveSeconds = settings.persistentKeepaliveSeconds();
            // A prefix has one owner: taking it from another peer, as wireguard-go's trie does.
            for (PeerState other : byKey.values()) {
                if (other != state && other.allowedIps.stream().anyMatch(settings.allowedIps()::contains)) {
                    other.allowedIps = other.allowedIps.stream()
                            .filter(p -> !settings.allowedIps().contains(p))
                            .toList();
                }
            }
            state.allowedIps = settings.allowedIps();
            Protocol current = protocol;
            if (created) {
                state.peer = current == null ? null : addToProtocol(current, state);
                byKey.put(state.publicKey, state);
            } else if (state.peer != null) {
                state.peer.setPresharedKey(settings.presharedKey().orElse(null));
            }
            rebuildIndexes();
            return keepaliveStarts ? Optional.of(state) : Optional.empty();
        }
    }

    void remove(Key publicKey) {
        synchronized (lock) {
            PeerState state = byKey.remove(publicKey);
            if (state == null) {
                return;
            }
            Protocol current = protocol;
            if (current != null && state.peer != null) {
                current.removePeer(state.peer);
            }
            state.takeStaged();
            rebuildIndexes();
        }
    }

    /** Zeroes every peer's keys: the device is closing. */
    void clearAll() {
        synchronized (lock) {
            Protocol current = protocol;
            if (current != null) {
                byKey.values().stream().filter(s -> s.peer != null).forEach(s -> current.removePeer(s.peer));
            }
        }
    }

    /** Called holding the lock: the maps the data path reads, swapped in whole. */
    private void rebuildIndexes() {
        Map<Peer, PeerState> byPeer = new IdentityHashMap<>();
        Map<IpPrefix, PeerState> table = new HashMap<>();
        for (PeerState state : byKey.values()) {
            if (state.peer != null) {
                byPeer.put(state.peer, state);
            }
            state.allowedIps.forEach(prefix -> table.put(prefix, state));
        }
        byProtocolPeer = byPeer;
        routes = AllowedIps.of(table);
    }

    /** Every peer in the order they were added. */
    List<PeerStatus> statuses() {
        return byKey.values().stream()
                .sorted(Comparator.comparingLong(s -> s.order))
                .map(PeerTable::status)
                .toList();
    }

    private static PeerStatus status(PeerState s) {
        long handshake = s.lastHandshakeEpochNanos;
        return new PeerStatus(
                new PeerSettings(
                        s.publicKey,
                        s.presharedKey,
                        Optional.ofNullable(s.endpoint),
                        s.persistentKeepaliveSeconds,
                        s.allowedIps),
                handshake == 0 ? Optional.empty() : Optional.of(Instant.ofEpochSecond(0, handshake)),
                s.rxBytes.get(),
                s.txBytes.get());
    }

    Optional<Keypair> currentKeypair(Key publicKey) {
        PeerState state = byKey.get(publicKey);
        return state == null || state.peer == null ? Optional.empty() : state.peer.currentKeypair();
    }
}
