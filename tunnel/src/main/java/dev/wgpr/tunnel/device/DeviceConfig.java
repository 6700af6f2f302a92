package dev.wgpr.tunnel.device;

import dev.wgpr.tunnel.crypto.Key;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A WireGuard device's whole configuration, immutable: what {@code wg showconf} shows.
 *
 * <p>What configures a {@link Backend} ({@link Backend#configure}): the daemon builds one from a tunnel's
 * config, the UAPI socket from {@code set} requests.
 *
 * @param privateKey empty when none (clamped when present, as wireguard-go stores it)
 * @param listenPort 0 = none chosen (the device picks one)
 * @param fwmark 0 = off; an unsigned 32-bit value
 * @param peers in creation order; public keys are unique and no allowed IP belongs to two peers
 */
public record DeviceConfig(Optional<Key> privateKey, int listenPort, long fwmark, List<PeerSettings> peers) {
    public static final DeviceConfig EMPTY = new DeviceConfig(Optional.empty(), 0, 0, List.of());

    public DeviceConfig {
        Objects.requireNonNull(privateKey, "privateKey");
        if (privateKey.filter(Key::isZero).isPresent()) {
            throw new IllegalArgumentException("an all-zero private key means none: use Optional.empty()");
        }
        privateKey = privateKey.map(Key::clamped);
        if (listenPort < 0 || listenPort > 0xffff) {
            throw new IllegalArgumentException("listen port is 0..65535: " + listenPort);
        }
        if (fwmark < 0 || fwmark > 0xffff_ffffL) {
            throw new IllegalArgumentException("fwmark is an unsigned 32-bit value: " + fwmark);
        }
        peers = List.copyOf(peers);
        if (peers.stream().map(PeerSettings::publicKey).distinct().count() != peers.size()) {
            throw new IllegalArgumentException("two peers share a public key");
        }
        if (peers.stream()
                        .flatMap(peer -> peer.allowedIps().stream())
                        .distinct()
                        .count()
                != peers.stream().mapToLong(peer -> peer.allowedIps().size()).sum()) {
            throw new IllegalArgumentException("an allowed IP belongs to more than one peer");
        }
    }

    public Optional<PeerSettings> peer(Key publicKey) {
        return peers.stream().filter(peer -> peer.publicKey().equals(publicKey)).findFirst();
    }

    public DeviceConfig withListenPort(int port) {
        return new DeviceConfig(privateKey, port, fwmark, peers);
    }

    /** With {@code peer} in place of the peer with its public key, or added last. */
    public DeviceConfig withPeer(PeerSettings peer) {
        List<PeerSettings> next = new ArrayList<>(peers);
        int index = next.stream().map(PeerSettings::publicKey).toList().indexOf(peer.publicKey());
        if (index < 0) {
            next.add(peer);
        } else {
            next.set(index, peer);
        }
        return new DeviceConfig(privateKey, listenPort, fwmark, next);
    }
}
