package dev.wgpr.client.daemon;

import dev.wgpr.client.config.TunnelConfig;
import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.common.net.IpText;
import dev.wgpr.routes.BypassDecision;
import dev.wgpr.routes.InstalledRoutes;
import dev.wgpr.routes.RouteTag;
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
    private final List<Route> held = new ArrayList<>();

    KernelRoutes(Instance instance) {
        this(RouteTag.forInstance(instance.name()));
    }

    private KernelRoutes(RouteTag tag) {
        this.tag = tag;
    }

    /**
     * Finds the routes a crashed daemon of this instance left and holds them: they keep internal
     * prefixes off the LAN until a tunnel that routes those prefixes is up again and replaces them
     * ({@link #install}); {@link #releaseHeld} removes the rest. Returns them, in words.
     */
    synchronized List<String> holdStale() throws IOException {
        try (RtNetlink rtnl = RtNetlink.open()) {
            held.addAll(TunnelRouting.findStaleRoutes(rtnl, tag));
        }
        return held.stream().map(Route::toString).toList();
    }

    /** Removes the held stale routes no tunnel replaced (the daemon's orderly stop). */
    synchronized List<String> releaseHeld() throws IOException {
        List<String> removed = new ArrayList<>();
        if (held.isEmpty()) {
            return removed;
        }
        try (RtNetlink rtnl = RtNetlink.open()) {
            InstalledRoutes.adopt(rtnl, held).remove();
            held.forEach(route -> removed.add(route.toString()));
            held.clear();
        }
        return removed;
    }

    /** The held stale routes, for status. */
    synchronized List<String> held() {
        return held.stream().map(Route::toString).toList();
    }

    @Override
    public Pieces.Routing install(TunnelConfig config, String interfaceName, List<InetAddress> endpoints)
            throws IOException {
        RtNetlink rtnl = RtNetlink.open();
        try {
            TunnelRouting.Request request = request(config, interfaceName, endpoints);
            List<Route> stale = heldFor(config, endpoints);
            TunnelRouting.Setup setup =
                    stale.isEmpty() ? TunnelRouting.up(rtnl, request) : TunnelRouting.upReplacing(rtnl, request, stale);
            synchronized (this) {
                held.removeAll(stale);
            }
            return new Installed(rtnl, setup, exclusions(rtnl, setup, tag), tag);
        } catch (IOException | RuntimeException e) {
            rtnl.close();
            throw e;
        }
    }

    /** The held stale routes of this tunnel: for its prefixes, or host routes to its endpoints. */
    private synchronized List<Route> heldFor(TunnelConfig config, List<InetAddress> endpoints) {
        List<IpPrefix> prefixes = config.routePlan().tunnelPrefixes();
        return held.stream()
                .filter(route -> prefixes.contains(route.destination())
                        || endpoints.stream().map(IpPrefix::host).anyMatch(route.destination()::equals))
                .toList();
    }

    private TunnelRouting.Request request(TunnelConfig config, String interfaceName, List<InetAddress> endpoints) {
        List<IpPrefix> allowed = config.peers().stream()
                .flatMap(peer -> peer.allowedIPs().stream())
                .distinct()
                .toList();
        List<InterfaceAddress> addresses = config.iface().addresses().stream()
                .map(a -> new InterfaceAddress(a.address(), a.prefixLength()))
                .toList();
        return new TunnelRouting.Request(
                interfaceName,
                config.routeMode(),
                allowed,
                endpoints,
                addresses,
                config.iface().mtu(),
                tag);
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

    private record Installed(RtNetlink rtnl, TunnelRouting.Setup setup, List<IpPrefix> exclusions, RouteTag tag)
            implements Pieces.Routing {
        @Override
        public Pieces.RoutingUpdate update(TunnelConfig config, List<InetAddress> endpoints) throws IOException {
            String interfaceName = setup.preview().tunnel().name();
            TunnelRouting.Request request = new KernelRoutes(tag).request(config, interfaceName, endpoints);
            TunnelRouting.Updated updated = TunnelRouting.update(rtnl, setup, request);
            Installed next =
                    new Installed(rtnl, updated.setup(), KernelRoutes.exclusions(rtnl, updated.setup(), tag), tag);
            List<String> changes = new ArrayList<>();
            updated.changes().added().forEach(c -> changes.add("+ " + c));
            updated.changes().removed().forEach(c -> changes.add("- " + c));
            return new Pieces.RoutingUpdate(next, changes);
        }

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
            try {
                setup.close();
            } finally {
                rtnl.close();
            }
        }
    }
}
