package dev.wgpr.tunnel.uapi;

import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.tunnel.crypto.Key;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One peer's configuration as the UAPI sets it.
 *
 * @param presharedKey empty when none (an all-zero key means none, as in WireGuard)
 * @param endpoint a resolved address, never a name
 * @param persistentKeepaliveInterval seconds, 0 = off
 * @param allowedIps in the order wireguard-go reports them: by time of (re)insertion, masked
 */
public record PeerConfig(
        Key publicKey,
        Optional<Key> presharedKey,
        Optional<InetSocketAddress> endpoint,
        int persistentKeepaliveInterval,
        List<IpPrefix> allowedIps) {
    public PeerConfig {
        Objects.requireNonNull(publicKey, "publicKey");
        Objects.requireNonNull(presharedKey, "presharedKey");
        Objects.requireNonNull(endpoint, "endpoint");
        if (persistentKeepaliveInterval < 0 || persistentKeepaliveInterval > 0xffff) {
            throw new IllegalArgumentException("persistent keepalive is 0..65535 s: " + persistentKeepaliveInterval);
        }
        if (presharedKey.filter(Key::isZero).isPresent()) {
            throw new IllegalArgumentException("an all-zero preshared key means none: use Optional.empty()");
        }
        allowedIps = List.copyOf(allowedIps);
    }

    /** A peer as a {@code public_key=} line creates it: nothing set. */
    public static PeerConfig of(Key publicKey) {
        return new PeerConfig(publicKey, Optional.empty(), Optional.empty(), 0, List.of());
    }
}
