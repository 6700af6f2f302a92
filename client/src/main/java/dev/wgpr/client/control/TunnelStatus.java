package dev.wgpr.client.control;

import dev.wgpr.client.dns.DnsCounters;
import java.util.List;
import java.util.Map;

/**
 * One tunnel that is up, as {@code status} shows it.
 *
 * @param config the file it was brought up from
 * @param network false for a tunnel registered for {@code wg-pr run} only (no device, no routes)
 * @param device null without a network
 * @param routeMode as a config writes it: {@code per-prefix}, {@code di-semi-default}
 * @param backstop {@link Protocol#BACKSTOP_IN_FORCE} or {@link Protocol#BACKSTOP_MISSING}; null without a device
 * @param routing null when no routes are installed
 * @param dns null when the tunnel has no DNS servers
 * @param excludedAppCgroups each excluded app's cgroup once it is made (what tells {@code wg-pr trace} that a
 *     process is an excluded app); null from daemons before it
 */
public record TunnelStatus(
        String name,
        String config,
        boolean network,
        String routeMode,
        List<String> addresses,
        List<Peer> peers,
        Device device,
        String backstop,
        Routing routing,
        List<App> apps,
        Dns dns,
        String others,
        List<String> excludedApps,
        Map<String, String> excludedAppCgroups) {
    public TunnelStatus {
        addresses = List.copyOf(addresses);
        peers = List.copyOf(peers);
        apps = List.copyOf(apps);
        excludedApps = excludedApps == null ? null : List.copyOf(excludedApps);
        excludedAppCgroups = excludedAppCgroups == null ? null : OrderedMaps.copy(excludedAppCgroups);
    }

    /**
     * A peer: what its config says, and what the device knows of it (null without a device).
     *
     * @param endpointAddress the address {@code endpoint} resolved to when the tunnel came up
     * @param currentEndpoint where the device sends now (it follows a roaming peer)
     * @param latestHandshake an ISO-8601 instant; null before the first one, or without a device ({@code
     *     rxBytes} is null then too): a reader computes its age with its own clock
     */
    public record Peer(
            String name,
            String publicKey,
            String endpoint,
            String endpointAddress,
            List<String> allowedIPs,
            String currentEndpoint,
            String latestHandshake,
            Long rxBytes,
            Long txBytes,
            Integer persistentKeepalive) {
        public Peer {
            allowedIPs = List.copyOf(allowedIPs);
        }

        /** A peer as its config has it, before the device says anything of it. */
        public static Peer configured(
                String name, String publicKey, String endpoint, String endpointAddress, List<String> allowedIPs) {
            return new Peer(name, publicKey, endpoint, endpointAddress, allowedIPs, null, null, null, null, null);
        }

        /** This peer as its config has it, with what {@code device} knows of it. */
        public Peer with(Traffic device) {
            return new Peer(
                    name,
                    publicKey,
                    endpoint,
                    endpointAddress,
                    allowedIPs,
                    device.currentEndpoint(),
                    device.latestHandshake(),
                    device.rxBytes(),
                    device.txBytes(),
                    device.persistentKeepalive());
        }
    }

    /** What the device knows of a peer; {@code latestHandshake} as in {@link Peer}. */
    public record Traffic(
            String publicKey,
            String currentEndpoint,
            String latestHandshake,
            long rxBytes,
            long txBytes,
            int persistentKeepalive) {}

    /**
     * The WireGuard device.
     *
     * @param backend {@code kernel} (the kernel's WireGuard) or {@code userspace} (wg-pr's own)
     * @param uapiSocket null on the kernel backend, which {@code wg} reads over netlink
     * @param dropped packets dropped, by reason in camelCase ({@code badMac1}; the userspace backend counts them)
     * @param failure why the device stopped, null while it runs
     */
    public record Device(
            String backend,
            int listenPort,
            String uapiSocket,
            Map<String, Long> dropped,
            Map<String, Long> threadFailures,
            String failure) {
        public Device {
            dropped = OrderedMaps.copy(dropped);
            threadFailures = OrderedMaps.copy(threadFailures);
        }
    }

    /**
     * The tunnel's routes.
     *
     * @param exclusions prefixes inside the routed ones that the kernel sends elsewhere (LAN, local, bypass)
     */
    public record Routing(List<String> routes, List<Bypass> bypass, List<String> exclusions) {
        public Routing {
            routes = List.copyOf(routes);
            bypass = List.copyOf(bypass);
            exclusions = List.copyOf(exclusions);
        }
    }

    /**
     * Name resolution through the tunnel: its config, the daemon's forwarder for it and what that did.
     *
     * @param access {@code apps} or {@code everyone}: who may resolve the tunnel's zones
     * @param linkFaces the forwarder's addresses on the tunnel's link, where the host's resolver asks
     * @param appsFace its address only the tunnel's apps may reach, which their resolver view names
     * @param appsView whether {@code wg-pr run} gives the tunnel's apps that view (their own resolv.conf)
     * @param resolverBackend how the host's resolver was told of the link faces; null: it was not
     * @param counters null while the forwarder is stopped
     */
    public record Dns(
            List<String> servers,
            List<String> domains,
            String access,
            List<String> linkFaces,
            String appsFace,
            boolean appsView,
            String resolverBackend,
            DnsCounters counters) {
        public Dns {
            servers = List.copyOf(servers);
            domains = List.copyOf(domains);
            linkFaces = List.copyOf(linkFaces);
        }
    }

    /** Whether a peer's endpoint needs a host route around the tunnel, and why. */
    public record Bypass(String endpoint, String hostRoute, String reason) {}

    /**
     * An app a peer names.
     *
     * @param exec null: any binary
     * @param cgroup null until the app's cgroup is made
     */
    public record App(String name, String peer, String exec, String sha256, List<String> allow, String cgroup) {
        public App {
            allow = List.copyOf(allow);
        }
    }
}
