package dev.wgpr.routes;

import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.routes.netlink.Route;
import dev.wgpr.routes.netlink.RtNetlink;
import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The routing of one instance's tunnels in one network namespace, each route marked with the
 * instance's {@link RouteTag}: {@link #install} a tunnel's addresses, MTU, link state and routes, then
 * {@link RoutedTunnel#update} and {@link RoutedTunnel#close()} them. What every tunnel shares lives
 * here: the server host routes two tunnels to one server both need ({@link SharedBypassRoutes}), and
 * the routes a crashed run of the instance left ({@link #holdStale}), which keep internal prefixes off
 * the LAN until a tunnel that routes them replaces them.
 */
public final class TunnelRouting {
    /** Opens an rtnetlink socket in the namespace the routes belong to. */
    @FunctionalInterface
    public interface Netlink {
        RtNetlink open() throws ErrnoException;
    }

    private final RouteTag tag;
    private final Netlink netlink;
    private final List<Route> held = new ArrayList<>();
    private final SharedBypassRoutes bypassRoutes = new SharedBypassRoutes();

    public TunnelRouting(RouteTag tag, Netlink netlink) {
        this.tag = tag;
        this.netlink = netlink;
    }

    /** The routing of instance {@code tag} in the calling thread's network namespace. */
    public static TunnelRouting inThisNamespace(RouteTag tag) {
        return new TunnelRouting(tag, RtNetlink::open);
    }

    RouteTag tag() {
        return tag;
    }

    /**
     * Finds the routes a crashed run of this instance left in the main tables (protocol {@link
     * RouteTag#PROTOCOL} in the instance's metric band; other instances' routes and everybody else's
     * are not looked at) and holds them: {@link #install} takes over those of its tunnel, {@link
     * #releaseHeld} removes the rest. Returns what it found.
     */
    public synchronized List<Route> holdStale() throws ErrnoException {
        try (RtNetlink rtnl = netlink.open()) {
            held.addAll(rtnl.mainRoutes().stream().filter(tag::owns).toList());
        }
        return List.copyOf(held);
    }

    /** The held stale routes that no tunnel has taken over yet. */
    public synchronized List<Route> held() {
        return List.copyOf(held);
    }

    /** Removes the held stale routes no tunnel took over (the daemon's orderly stop); returns them. */
    public synchronized List<Route> releaseHeld() throws IOException {
        List<Route> removed = List.copyOf(held);
        if (!removed.isEmpty()) {
            try (RtNetlink rtnl = netlink.open()) {
                InstalledRoutes.adopt(rtnl, removed).remove();
            }
            held.clear();
        }
        return removed;
    }

    /**
     * Addresses, MTU, link up and routes for one tunnel: all of it, or (on an error) none of it. The
     * server host routes are shared with the other tunnels to the same servers and go in first, before
     * the routes that would shadow the endpoints, so the underlay path to the server never breaks. Held
     * stale routes for this tunnel's prefixes are replaced without a gap; a held host route that is
     * exactly the one needed is taken over, a different one (the underlay changed meanwhile) goes.
     */
    public synchronized RoutedTunnel install(RoutingRequest request) throws IOException {
        RtNetlink rtnl = netlink.open();
        try {
            RoutingPreview preview = RoutingPreview.of(rtnl, request, tag);
            List<Route> hostRoutes = preview.hostRoutes();
            List<Route> stale = heldFor(preview.plan().tunnelPrefixes(), request.endpoints());
            List<Route> staleHostRoutes = stale.stream()
                    .filter(route -> isHostRoute(route, request.endpoints()))
                    .toList();
            InstalledRoutes.adopt(
                            rtnl,
                            staleHostRoutes.stream()
                                    .filter(route -> !hostRoutes.contains(route))
                                    .toList())
                    .remove();
            bypassRoutes.acquire(
                    rtnl,
                    hostRoutes,
                    staleHostRoutes.stream().filter(hostRoutes::contains).toList());
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
            return RoutedTunnel.reading(this, rtnl, preview, installed);
        } catch (IOException | RuntimeException e) {
            rtnl.close();
            throw e;
        }
    }

    /** The held stale routes of one tunnel: for its prefixes, or host routes to its endpoints. */
    private List<Route> heldFor(List<IpPrefix> prefixes, List<InetAddress> endpoints) {
        return held.stream()
                .filter(route -> prefixes.contains(route.destination()) || isHostRoute(route, endpoints))
                .toList();
    }

    private static boolean isHostRoute(Route route, List<InetAddress> endpoints) {
        return endpoints.stream().map(IpPrefix::host).anyMatch(route.destination()::equals);
    }

    /** {@code changes} without the shared host routes, which {@link SharedBypassRoutes} adds and removes. */
    static List<Change> withoutHostRoutes(List<Change> changes, List<Route> hostRoutes) {
        return changes.stream()
                .filter(c -> !(c instanceof Change.AddRoute add && hostRoutes.contains(add.route())))
                .toList();
    }

    SharedBypassRoutes bypassRoutes() {
        return bypassRoutes;
    }
}
