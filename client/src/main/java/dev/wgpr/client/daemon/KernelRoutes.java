package dev.wgpr.client.daemon;

import dev.wgpr.client.config.TunnelConfig;
import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.common.net.IpText;
import dev.wgpr.routes.BypassDecision;
import dev.wgpr.routes.Change;
import dev.wgpr.routes.InstalledRoutes;
import dev.wgpr.routes.RouteTag;
import dev.wgpr.routes.RoutingException;
import dev.wgpr.routes.TunnelRouting;
import dev.wgpr.routes.netlink.InterfaceAddress;
import dev.wgpr.routes.netlink.Route;
import dev.wgpr.routes.netlink.RouteLookup;
import dev.wgpr.routes.netlink.RouteType;
import dev.wgpr.routes.netlink.RtNetlink;
import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The routes piece, wired to the routes module: addresses, MTU, link up, bypass host routes, tunnel
 * routes and fail-closed unreachable routes through {@link TunnelRouting}, in the daemon's network
 * namespace, each tagged with the instance's {@link RouteTag}.
 */
final class KernelRoutes implements Pieces.RouteInstaller {
    private final RouteTag tag;
    private final SharedBypassRoutes bypassRoutes = new SharedBypassRoutes();

    KernelRoutes(Instance instance) {
        this.tag = RouteTag.forInstance(instance.name());
    }

    /** Removes the routes a crashed daemon of this instance left (issue 6: adopt or clean up). */
    List<String> removeStale() throws IOException {
        try (RtNetlink rtnl = RtNetlink.open()) {
            return TunnelRouting.removeStaleRoutes(rtnl, tag).stream()
                    .map(Route::toString)
                    .toList();
        }
    }

    @Override
    public Pieces.Routing install(TunnelConfig config, String interfaceName, List<InetAddress> endpoints)
            throws IOException {
        RtNetlink rtnl = RtNetlink.open();
        try {
            List<IpPrefix> allowed = config.peers().stream()
                    .flatMap(peer -> peer.allowedIPs().stream())
                    .distinct()
                    .toList();
            List<InterfaceAddress> addresses = config.iface().addresses().stream()
                    .map(a -> new InterfaceAddress(a.address(), a.prefixLength()))
                    .toList();
            TunnelRouting.Request request = new TunnelRouting.Request(
                    interfaceName,
                    config.routeMode(),
                    allowed,
                    endpoints,
                    addresses,
                    config.iface().mtu(),
                    tag);
            TunnelRouting.Preview preview = TunnelRouting.plan(rtnl, request);
            // The host routes go in first (before the routes that would shadow the endpoints), shared
            // with the daemon's other tunnels to the same servers.
            List<Route> hostRoutes = preview.bypass().stream()
                    .flatMap(decision -> decision.hostRoute().stream())
                    .distinct()
                    .toList();
            bypassRoutes.acquire(rtnl, hostRoutes);
            TunnelRouting.Setup setup;
            try {
                setup = new TunnelRouting.Setup(
                        preview,
                        InstalledRoutes.apply(
                                rtnl,
                                preview.changes().stream()
                                        .filter(c ->
                                                !(c instanceof Change.AddRoute add && hostRoutes.contains(add.route())))
                                        .toList()));
            } catch (IOException | RuntimeException e) {
                bypassRoutes.release(rtnl, hostRoutes).forEach(e::addSuppressed);
                throw e;
            }
            List<IpPrefix> exclusions = exclusions(rtnl, setup, tag);
            return new Installed(rtnl, setup, exclusions, hostRoutes, bypassRoutes);
        } catch (IOException | RuntimeException e) {
            rtnl.close();
            throw e;
        }
    }

    /**
     * What routing keeps out of the tunnel inside its prefixes, read from the kernel after the routes
     * are in: the bypass host routes, and every route of the main and local tables inside (or equal
     * to) a tunnel prefix that is not ours and that the kernel, asked as {@code ip route get} does,
     * does not resolve into the tunnel: the LAN, the machine's own and loopback addresses, another
     * interface's more specific routes.
     */
    private static List<IpPrefix> exclusions(RtNetlink rtnl, TunnelRouting.Setup setup, RouteTag tag)
            throws IOException {
        List<IpPrefix> internal = setup.preview().plan().tunnelPrefixes();
        int tunnel = setup.preview().tunnel().index();
        List<IpPrefix> exclusions = new ArrayList<>();
        for (BypassDecision decision : setup.preview().bypass()) {
            decision.hostRoute()
                    .map(Route::destination)
                    .filter(d -> !exclusions.contains(d))
                    .ifPresent(exclusions::add);
        }
        List<Route> candidates = new ArrayList<>(rtnl.mainRoutes());
        candidates.addAll(rtnl.routes(true, Route.LOCAL_TABLE));
        candidates.addAll(rtnl.routes(false, Route.LOCAL_TABLE));
        for (Route route : candidates) {
            IpPrefix destination = route.destination();
            if (tag.owns(route) || exclusions.contains(destination)) {
                continue;
            }
            boolean inside = internal.stream().anyMatch(prefix -> prefix.contains(destination));
            if (!inside) {
                continue;
            }
            if (!leadsIntoTunnel(rtnl, destination, tunnel)) {
                exclusions.add(destination);
            }
        }
        return exclusions;
    }

    private static boolean leadsIntoTunnel(RtNetlink rtnl, IpPrefix destination, int tunnel) {
        try {
            RouteLookup lookup = rtnl.lookup(destination.address());
            return lookup.reachable() && lookup.interfaceIndex() == tunnel && lookup.type() != RouteType.LOCAL;
        } catch (ErrnoException e) {
            return false; // e.g. a multicast or broadcast address the kernel will not route: not the tunnel
        }
    }

    private record Installed(
            RtNetlink rtnl,
            TunnelRouting.Setup setup,
            List<IpPrefix> exclusions,
            List<Route> hostRoutes,
            SharedBypassRoutes bypassRoutes)
            implements Pieces.Routing {
        @Override
        public List<IpPrefix> routed() {
            return setup.preview().plan().tunnelPrefixes();
        }

        @Override
        public Map<String, Object> status() {
            Map<String, Object> status = new LinkedHashMap<>();
            status.put(
                    "routes",
                    setup.installed().changes().stream().map(Object::toString).toList());
            List<Map<String, Object>> bypass = new ArrayList<>();
            for (BypassDecision decision : setup.preview().bypass()) {
                Map<String, Object> d = new LinkedHashMap<>();
                d.put("endpoint", IpText.of(decision.endpoint()));
                d.put("hostRoute", decision.hostRoute().map(Route::toString).orElse(null));
                d.put("reason", decision.reason());
                bypass.add(d);
            }
            status.put("bypass", bypass);
            status.put("exclusions", exclusions.stream().map(IpText::of).toList());
            return status;
        }

        @Override
        public void close() throws IOException {
            try (rtnl) {
                List<ErrnoException> failures = new ArrayList<>();
                try {
                    setup.close();
                } catch (RoutingException e) {
                    failures.addAll(e.failures());
                }
                failures.addAll(bypassRoutes.release(rtnl, hostRoutes));
                if (!failures.isEmpty()) {
                    throw new RoutingException("could not take back " + failures.size() + " changes", failures);
                }
            }
        }
    }
}
