package dev.wgpr.testing.lab;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;

/**
 * {@code wg show IFACE dump}, parsed: the interface line, then one line per peer, tab-separated.
 *
 * @param listenPort 0 when the device has none yet
 */
public record WgDump(String publicKey, int listenPort, String fwmark, List<Peer> peers) {
    public WgDump {
        peers = List.copyOf(peers);
    }

    /**
     * One peer as the device sees it.
     *
     * @param presharedKey {@code null} when the peer has none
     * @param endpoint {@code host:port}, or {@code null} before the device has one
     * @param latestHandshake {@code null} before the first handshake
     * @param rxBytes bytes received from this peer, WireGuard headers included
     * @param txBytes bytes sent to this peer
     * @param persistentKeepalive seconds, 0 when off
     */
    public record Peer(
            String publicKey,
            String presharedKey,
            String endpoint,
            List<String> allowedIps,
            Instant latestHandshake,
            long rxBytes,
            long txBytes,
            int persistentKeepalive) {
        public Peer {
            allowedIps = List.copyOf(allowedIps);
        }

        public boolean hasHandshake() {
            return latestHandshake != null;
        }
    }

    /** The peer with {@code publicKey}; throws if the device has none. */
    public Peer peer(String publicKey) {
        return peers.stream()
                .filter(p -> p.publicKey().equals(publicKey))
                .findFirst()
                .orElseThrow(() -> new LabException("no peer " + publicKey + " in " + this));
    }

    public static WgDump parse(String dump) {
        List<String> lines = dump.lines().filter(line -> !line.isBlank()).toList();
        if (lines.isEmpty()) {
            throw new LabException("empty `wg show dump` output");
        }
        String[] device = fields(lines.getFirst(), 4);
        List<Peer> peers = lines.stream().skip(1).map(WgDump::parsePeer).toList();
        return new WgDump(device[1], Integer.parseInt(device[2]), device[3], peers);
    }

    private static Peer parsePeer(String line) {
        String[] f = fields(line, 8);
        long handshake = Long.parseLong(f[4]);
        return new Peer(
                f[0],
                none(f[1]),
                none(f[2]),
                f[3].equals("(none)") ? List.of() : Arrays.asList(f[3].split(",")),
                handshake == 0 ? null : Instant.ofEpochSecond(handshake),
                Long.parseLong(f[5]),
                Long.parseLong(f[6]),
                f[7].equals("off") ? 0 : Integer.parseInt(f[7]));
    }

    private static String[] fields(String line, int expected) {
        String[] f = line.split("\t", -1);
        if (f.length != expected) {
            throw new LabException("expected " + expected + " tab-separated fields in `wg show dump` line: " + line);
        }
        return f;
    }

    private static String none(String field) {
        return field.equals("(none)") ? null : field;
    }
}
