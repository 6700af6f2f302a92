package dev.wgpr.tunnel.uapi;

/**
 * A peer's live counters, which belong to the running device rather than to its configuration.
 *
 * @param lastHandshakeEpochNanos wall-clock time of the last completed handshake in nanoseconds
 *     since the epoch, 0 = never
 */
public record PeerStats(long lastHandshakeEpochNanos, long rxBytes, long txBytes) {
    public static final PeerStats NONE = new PeerStats(0, 0, 0);

    public PeerStats {
        if (lastHandshakeEpochNanos < 0 || rxBytes < 0 || txBytes < 0) {
            throw new IllegalArgumentException("peer statistics are never negative");
        }
    }
}
