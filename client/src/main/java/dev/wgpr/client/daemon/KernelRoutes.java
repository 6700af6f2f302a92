package dev.wgpr.client.daemon;

import dev.wgpr.client.config.TunnelConfig;
import dev.wgpr.client.control.TunnelStatus;
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
import java.util.List;

/**
 * The routes piece, wired to the routes module: addresses, MTU, link up, bypass host routes, tunnel
 * routes and fail-closed unreachable routes through {@link TunnelRouting}, in the daemon's network
 * namespace, each tagged with the instance's {@link RouteTag}.
 */
final class KernelRoutes implements Pieces.RouteInstaller {
    private final RouteTag tag;
    private final List<Route> held = new ArrayList<>();
    private final SharedBypassRoutes bypassRoutes = new SharedBypassRoutes();

    KernelRoutes(Instance instance) {
        this.tag = RouteTag.forInstance(instance.name());
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

    /**
     * Addresses, MTU, link up and routes for one tunnel. The server host routes are shared with the
     * daemon's other tunnels to the same servers ({@link SharedBypassRoutes}) and go in first, before
     * the routes that would shadow the endpoints. Stale routes of a crashed run for this tunnel's
     * prefixes are replaced without a gap ({@link InstalledRoutes#update}); a stale host route that is
     * exactly the one needed is taken over, a different one (the underlay changed meanwhile) goes.
     */
    @Override
    public synchronized Pieces.Routing install(TunnelConfig config, String interfaceName, List<InetAddress> endpoints)
            throws IOException {
        RtNetlink rtnl = RtNetlink.open();
        try {
            TunnelRouting.Preview preview = TunnelRouting.plan(rtnl, request(config, interfaceName, endpoints));
            List<Route> hostRoutes = hostRoutes(preview);
            List<Route> stale = heldFor(config, endpoints);
            List<Route> staleHostRoutes = stale.stream()
                    .filter(route -> isHostRoute(route, endpoints))
                    .toList();
            List<Route> adoptedHostRoutes =
                    staleHostRoutes.stream().filter(hostRoutes::contains).toList();
            InstalledRoutes.adopt(
                            rtnl,
                            staleHostRoutes.stream()
                                    .filter(route -> !hostRoutes.contains(route))
                                    .toList())
                    .remove();
            bypassRoutes.acquire(rtnl, hostRoutes, adoptedHostRoutes);
            InstalledRoutes installed;
            try {
                installed = InstalledRoutes.adopt(
                        rtnl,
                        stale.stream()
                                .filter(route -> !staleHostRoutes.contains(route))
                                .toList());
                installed.update(withoutHostRoutes(preview.changes(), hostRoutes));
            } catch (IOException | RuntimeException e) {
                bypassRoutes.release(rtnl, hostRoutes).forEach(e::addSuppressed);
                throw e;
            }
            held.removeAll(stale);
            TunnelRouting.Setup setup = new TunnelRouting.Setup(preview, installed);
            return new Installed(rtnl, setup, exclusions(rtnl, setup, tag), hostRoutes);
        } catch (IOException | RuntimeException e) {
            rtnl.close();
            throw e;
        }
    }

    /** The held stale routes of this tunnel: for its prefixes, or host routes to its endpoints. */
    private List<Route> heldFor(TunnelConfig config, List<InetAddress> endpoints) {
        List<IpPrefix> prefixes = config.routePlan().tunnelPrefixes();
        return held.stream()
                .filter(route -> prefixes.contains(route.destination()) || isHostRoute(route, endpoints))
                .toList();
    }

    private static boolean isHostRoute(Route route, List<InetAddress> endpoints) {
        return endpoints.stream().map(IpPrefix::host).anyMatch(route.destination()::equals);
    }

    private static List<Route> hostRoutes(TunnelRouting.Preview preview) {
        return preview.bypass().stream()
                .flatMap(decision -> decision.hostRoute().stream())
                .distinct()
                .toList();
    }

    private static List<Change> withoutHostRoutes(List<Change> changes, List<Route> hostRoutes) {
        return changes.stream()
                .filter(c -> !(c instanceof Change.AddRoute add && hostRoutes.contains(add.route())))
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

    /** One tunnel's routing as installed; {@link #update} hands it over to its successor. */
    private final class Installed implements Pieces.Routing {
        private final RtNetlink rtnl;
        private final TunnelRouting.Setup setup;
        private final List<IpPrefix> exclusions;
        private final List<Route> hostRoutes;

        Installed(RtNetlink rtnl, TunnelRouting.Setup setup, List<IpPrefix> exclusions, List<Route> hostRoutes) {
            this.rtnl = rtnl;
            this.setup = setup;
            this.exclusions = List.copyOf(exclusions);
            this.hostRoutes = List.copyOf(hostRoutes);
        }

        /**
         * A fresh plan against the kernel now: new host routes acquired (one whose identity an old one
         * of this tunnel holds replaces it: the underlay moved), the tunnel's own routes brought over
         * without a gap, host routes no longer needed released.
         */
        @Override
        public Pieces.RoutingUpdate update(TunnelConfig config, List<InetAddress> endpoints) throws IOException {
            synchronized (KernelRoutes.this) {
                String interfaceName = setup.preview().tunnel().name();
                TunnelRouting.Preview preview = TunnelRouting.plan(rtnl, request(config, interfaceName, endpoints));
                List<Route> next = hostRoutes(preview);
                List<Route> gone = hostRoutes.stream()
                        .filter(route -> !next.contains(route))
                        .toList();
                List<Route> fresh = next.stream()
                        .filter(route -> !hostRoutes.contains(route))
                        .toList();
                List<String> changes = new ArrayList<>();
                List<Route> displaced = gone.stream()
                        .filter(old -> fresh.stream()
                                .anyMatch(n -> n.destination().equals(old.destination()) && n.metric() == old.metric()))
                        .toList();
                failOn(bypassRoutes.release(rtnl, displaced));
                InstalledRoutes.Update update;
                try {
                    bypassRoutes.acquire(rtnl, fresh, List.of());
                    try {
                        update = setup.installed().update(withoutHostRoutes(preview.changes(), next));
                    } catch (IOException | RuntimeException e) {
                        bypassRoutes.release(rtnl, fresh).forEach(e::addSuppressed);
                        throw e;
                    }
                } catch (IOException | RuntimeException e) {
                    try {
                        bypassRoutes.acquire(rtnl, displaced, List.of()); // the old path back
                    } catch (ErrnoException | RuntimeException undoFailure) {
                        e.addSuppressed(undoFailure);
                    }
                    throw e;
                }
                failOn(bypassRoutes.release(
                        rtnl,
                        gone.stream()
                                .filter(route -> !displaced.contains(route))
                                .toList()));
                fresh.forEach(route -> changes.add("+ " + route));
                update.added().forEach(c -> changes.add("+ " + c));
                gone.forEach(route -> changes.add("- " + route));
                update.removed().forEach(c -> changes.add("- " + c));
                TunnelRouting.Setup nextSetup = new TunnelRouting.Setup(preview, setup.installed());
                Installed successor =
                        new Installed(rtnl, nextSetup, KernelRoutes.exclusions(rtnl, nextSetup, tag), next);
                return new Pieces.RoutingUpdate(successor, changes);
            }
        }

        @Override
        public List<IpPrefix> routed() {
            return setup.preview().plan().tunnelPrefixes();
        }

        @Override
        public List<IpPrefix> exclusions() {
            return exclusions;
        }

        @Override
        public TunnelStatus.Routing status() {
            List<String> routes = new ArrayList<>();
            hostRoutes.forEach(route -> routes.add("AddRoute[route=" + route + "] (shared)"));
            setup.installed().changes().forEach(change -> routes.add(change.toString()));
            return new TunnelStatus.Routing(
                    routes,
                    setup.preview().bypass().stream()
                            .map(decision -> new TunnelStatus.Bypass(
                                    IpText.of(decision.endpoint()),
                                    decision.hostRoute().map(Route::toString).orElse(null),
                                    decision.reason()))
                            .toList(),
                    exclusions.stream().map(IpText::of).toList());
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
                synchronized (KernelRoutes.this) {
                    failures.addAll(bypassRoutes.release(rtnl, hostRoutes));
                }
                if (!failures.isEmpty()) {
                    throw new RoutingException("could not take back " + failures.size() + " changes", failures);
                }
            }
        }
    }

    private static void failOn(List<ErrnoException> failures) throws RoutingException {
        if (!failures.isEmpty()) {
            throw new RoutingException("could not remove " + failures.size() + " host routes", failures);
        }
    }
}
