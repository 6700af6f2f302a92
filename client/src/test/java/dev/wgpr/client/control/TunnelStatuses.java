package dev.wgpr.client.control;

import java.util.List;
import java.util.Map;

/** Tunnels as a daemon's status shows them, for tests of what reads peers and apps: no device, routing or DNS. */
public final class TunnelStatuses {
    private TunnelStatuses() {}

    /**
     * Tunnel {@code name}, up from /etc/wg-pr/NAME.toml, per prefix, its prefixes denied to processes that are
     * no app; {@code excluded}: each excluded app's cgroup.
     */
    public static TunnelStatus withApps(
            String name,
            List<String> addresses,
            List<TunnelStatus.Peer> peers,
            List<TunnelStatus.App> apps,
            Map<String, String> excluded) {
        return new TunnelStatus(
                name,
                "/etc/wg-pr/" + name + ".toml",
                true,
                "per-prefix",
                addresses,
                peers,
                null,
                null,
                null,
                apps,
                null,
                "deny",
                List.copyOf(excluded.keySet()),
                excluded);
    }
}
