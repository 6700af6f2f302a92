package dev.wgpr.tunnel.uapi;

import dev.wgpr.tunnel.crypto.Key;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A WireGuard device's whole configuration, immutable: what {@code wg showconf} shows.
 *
 * @param privateKey empty when none (clamped when present, as wireguard-go stores it)
 * @param listenPort 0 = none chosen (the device picks one)
 * @param fwmark 0 = off; an unsigned 32-bit value
 * @param peers in creation order; public keys are unique and no allowed IP belongs to two peers
 */
public record DeviceConfig(Optional<Key> privateKey, int listenPort, long fwmark, List<PeerConfig> peers) {
    public static final DeviceConfig EMPTY = new DeviceConfig(Optional.empty(), 0, 0, List.of());

    public DeviceConfig {
        Objects.requireNonNull(privateKey, "privateKey");
        if (privateKey.filter(Key::isZero).isPresent()) {
            throw new IllegalArgumentException("an all-zero private key means none: use Optional.empty()");
        }
        if (listenPort < 0 || listenPort > 0xffff) {
            throw new IllegalArgumentException("listen port is 0..65535: " + listenPort);
        }
        if (fwmark < 0 || fwmark > 0xffff_ffffL) {
            throw new IllegalArgumentException("fwmark is an unsigned 32-bit value: " + fwmark);
        }
        peers = List.copyOf(peers);
        if (peers.stream().map(PeerConfig::publicKey).distinct().count() != peers.size()) {
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

    public Optional<PeerConfig> peer(Key publicKey) {
        return peers.stream().filter(peer -> peer.publicKey().equals(publicKey)).findFirst();
    }
}
