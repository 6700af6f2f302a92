package dev.wgpr.tunnel.device;

import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.tunnel.crypto.Key;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * One peer of a running {@link Backend}: its settings as they are now (the endpoint may have been learned
 * from the peer's packets) and its live counters.
 *
 * @param lastHandshake wall-clock time of the last completed handshake, empty before the first
 * @param rxBytes bytes of WireGuard messages received from this peer (headers included)
 * @param txBytes bytes of WireGuard messages sent to it
 */
public record PeerStatus(
        Key publicKey,
        Optional<Key> presharedKey,
        Optional<InetSocketAddress> endpoint,
        int persistentKeepaliveSeconds,
        List<IpPrefix> allowedIps,
        Optional<Instant> lastHandshake,
        long rxBytes,
        long txBytes) {
    public PeerStatus {
        allowedIps = List.copyOf(allowedIps);
    }
}
