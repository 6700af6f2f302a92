package dev.wgpr.tunnel.uapi;

import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.tunnel.device.DeviceConfig;
import dev.wgpr.tunnel.device.PeerSettings;
import dev.wgpr.tunnel.device.PeerStatus;
import java.util.Optional;

/** Writes the body of a {@code get=1} reply, key for key and in wireguard-go's order. */
final class GetResponse {
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private GetResponse() {}

    /** The {@code key=value} lines, each ending in {@code \n}; the caller adds {@code errno=0}. */
    static String format(UapiDevice device) {
        DeviceConfig config = device.config();
        StringBuilder out = new StringBuilder(256 + 512 * config.peers().size());
        config.privateKey().ifPresent(key -> line(out, "private_key", UapiText.formatKey(key)));
        if (config.listenPort() != 0) {
            line(out, "listen_port", config.listenPort());
        }
        if (config.fwmark() != 0) {
            line(out, "fwmark", config.fwmark());
        }
        for (PeerSettings peer : config.peers()) {
            Optional<PeerStatus> status = device.status(peer.publicKey());
            long lastHandshake = status.map(PeerStatus::lastHandshakeEpochNanos).orElse(0L);
            line(out, "public_key", UapiText.formatKey(peer.publicKey()));
            line(
                    out,
                    "preshared_key",
                    peer.presharedKey().map(UapiText::formatKey).orElse("0".repeat(64)));
            line(out, "protocol_version", 1);
            peer.endpoint().ifPresent(endpoint -> line(out, "endpoint", UapiText.formatEndpoint(endpoint)));
            line(out, "last_handshake_time_sec", lastHandshake / NANOS_PER_SECOND);
            line(out, "last_handshake_time_nsec", lastHandshake % NANOS_PER_SECOND);
            line(out, "tx_bytes", status.map(PeerStatus::txBytes).orElse(0L));
            line(out, "rx_bytes", status.map(PeerStatus::rxBytes).orElse(0L));
            line(out, "persistent_keepalive_interval", peer.persistentKeepaliveSeconds());
            for (IpPrefix prefix : peer.allowedIps()) {
                line(out, "allowed_ip", UapiText.formatPrefix(prefix));
            }
        }
        return out.toString();
    }

    private static void line(StringBuilder out, String key, Object value) {
        out.append(key).append('=').append(value).append('\n');
    }
}
