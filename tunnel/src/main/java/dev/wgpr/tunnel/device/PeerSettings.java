package dev.wgpr.tunnel.device;

import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.tunnel.crypto.Key;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What configures one peer of a {@link Backend}.
 *
 * @param endpoint where to send until the peer is heard from elsewhere; empty keeps what the device
 *     has (learned or set before)
 * @param persistentKeepaliveSeconds 0 = off
 * @param allowedIps the peer's allowed IPs, replacing any it had; a prefix belongs to one peer, so
 *     giving one another peer already has moves it
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
        allowedIps = List.copyOf(allowedIps);
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
}
