package dev.wgpr.tunnel.device;

import dev.wgpr.tunnel.crypto.Key;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One peer of a running {@link Backend}: its settings as they are now (the endpoint may have been learned
 * from the peer's packets) and its live counters, which belong to the running device rather than to its
 * configuration.
 *
 * @param lastHandshake wall-clock time of the last completed handshake, empty before the first
 * @param rxBytes bytes of WireGuard messages received from this peer (headers included)
 * @param txBytes bytes of WireGuard messages sent to it
 */
public record PeerStatus(PeerSettings settings, Optional<Instant> lastHandshake, long rxBytes, long txBytes) {
    public PeerStatus {
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(lastHandshake, "lastHandshake");
        if (rxBytes < 0 || txBytes < 0) {
            throw new IllegalArgumentException("byte counts are never negative");
        }
    }

    public Key publicKey() {
        return settings.publicKey();
    }

    /** The last handshake in nanoseconds since the epoch, 0 = never (as the UAPI reports it). */
    public long lastHandshakeEpochNanos() {
        return lastHandshake
                .map(at -> at.getEpochSecond() * 1_000_000_000L + at.getNano())
                .orElse(0L);
    }
}
