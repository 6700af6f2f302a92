package dev.wgpr.tunnel.device;

import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.tunnel.crypto.Key;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One WireGuard peer's configuration: what the daemon, the UAPI socket ({@code wg set}, {@code wg showconf})
 * and a {@link Backend} all mean by a peer. The app grants and the peer's name are the config file's ({@code
 * client.config.PeerConfig}); the sessions and timers are the device's ({@link PeerState}).
 *
 * @param presharedKey empty when none (an all-zero key means none, as in WireGuard)
 * @param endpoint a resolved address, never a name; empty: the peer is reached only after it contacts us
 * @param persistentKeepaliveSeconds 0 = off
 * @param allowedIps in the order wireguard-go reports them: by time of (re)insertion, masked; a prefix
 *     belongs to one peer
 */
public record PeerSettings(
        Key publicKey,
        Optional<Key> presharedKey,
        Optional<InetSocketAddress> endpoint,
        int persistentKeepaliveSeconds,
        List<IpPrefix> allowedIps) {
    public PeerSettings {
        Objects.requireNonNull(publicKey, "publicKey");
        Objects.requireNonNull(presharedKey, "presharedKey");
        Objects.requireNonNull(endpoint, "endpoint");
        if (persistentKeepaliveSeconds < 0 || persistentKeepaliveSeconds > 0xffff) {
            throw new IllegalArgumentException("persistent keepalive is 0..65535 s: " + persistentKeepaliveSeconds);
        }
        if (presharedKey.filter(Key::isZero).isPresent()) {
            throw new IllegalArgumentException("an all-zero preshared key means none: use Optional.empty()");
        }
        allowedIps = List.copyOf(allowedIps);
    }

    /** A peer as a {@code public_key=} line creates it: nothing set. */
    public static PeerSettings of(Key publicKey) {
        return new PeerSettings(publicKey, Optional.empty(), Optional.empty(), 0, List.of());
    }

    /** A peer with just a key, an optional endpoint and allowed IPs. */
    public static PeerSettings of(Key publicKey, InetSocketAddress endpoint, IpPrefix... allowedIps) {
        return new PeerSettings(publicKey, Optional.empty(), Optional.ofNullable(endpoint), 0, List.of(allowedIps));
    }

    public PeerSettings withPresharedKey(Key key) {
        return new PeerSettings(publicKey, Optional.of(key), endpoint, persistentKeepaliveSeconds, allowedIps);
    }

    public PeerSettings withPersistentKeepalive(int seconds) {
        return new PeerSettings(publicKey, presharedKey, endpoint, seconds, allowedIps);
    }

    public PeerSettings withEndpoint(Optional<InetSocketAddress> newEndpoint) {
        return new PeerSettings(publicKey, presharedKey, newEndpoint, persistentKeepaliveSeconds, allowedIps);
    }
}
