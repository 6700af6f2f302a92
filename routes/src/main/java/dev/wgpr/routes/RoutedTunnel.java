package dev.wgpr.routes;

import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.routes.netlink.Route;
import dev.wgpr.routes.netlink.RouteLookup;
import dev.wgpr.routes.netlink.RouteType;
import dev.wgpr.routes.netlink.RtNetlink;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * One tunnel's routing as {@link TunnelRouting#install} put it in: its changes, its share of the
 * server host routes, and what routing keeps out of the tunnel inside its prefixes ({@link
 * #exclusions()}). {@link #update} brings it to a new request without a gap; {@link #close()} takes back
 * exactly what it added.
 */
public final class RoutedTunnel implements AutoCloseable {
    private final TunnelRouting owner;
    private final RtNetlink rtnl;
    private final InstalledRoutes installed;
    private RoutingPreview preview;
    private List<Route> hostRoutes;
    private List<IpPrefix> exclusions;
    private boolean closed;

    private RoutedTunnel(TunnelRouting owner, RtNetlink rtnl, InstalledRoutes installed) {
        this.owner = owner;
        this.rtnl = rtnl;
        this.installed = installed;
    }

    /** The routing of {@code preview} as installed, its exclusions read from the kernel now. */
    static RoutedTunnel reading(TunnelRouting owner, RtNetlink rtnl, RoutingPreview preview, InstalledRoutes installed)
            throws ErrnoException {
        RoutedTunnel tunnel = new RoutedTunnel(owner, rtnl, installed);
        tunnel.settle(preview);
        return tunnel;
    }

    /** What one {@link #update} added and took away, host routes included. */
    public record Changes(List<Change> added, List<Change> removed) {
        public Changes {
            added = List.copyOf(added);
            removed = List.copyOf(removed);
        }

        public boolean isEmpty() {
            return added.isEmpty() && removed.isEmpty();
        }
    }

    /**
     * Brings the routing to {@code request} as the kernel's routes are now (a reload, or a changed
     * underlay: new gateway, new LAN routes): new host routes acquired (one whose kernel identity an old
     * one of this tunnel holds replaces it: the underlay moved), the tunnel's own routes brought over
     * without a gap ({@link InstalledRoutes#update}), host routes no longer needed released. All or
     * nothing: on a failure the old routing stays in force.
     */
    public Changes update(RoutingRequest request) throws IOException {
        synchronized (owner) {
            RoutingPreview next = RoutingPreview.of(rtnl, request, owner.tag());
            List<Route> nextHostRoutes = next.hostRoutes();
            List<Route> gone = hostRoutes.stream()
                    .filter(route -> !nextHostRoutes.contains(route))
                    .toList();
            List<Route> fresh = nextHostRoutes.stream()
                    .filter(route -> !hostRoutes.contains(route))
                    .toList();
            List<Route> displaced = gone.stream()
                    .filter(old -> fresh.stream()
                            .anyMatch(n -> n.destination().equals(old.destination()) && n.metric() == old.metric()))
                    .toList();
            SharedBypassRoutes bypassRoutes = owner.bypassRoutes();
            failOn(bypassRoutes.release(rtnl, displaced));
            InstalledRoutes.Update update;
            try {
                bypassRoutes.acquire(rtnl, fresh, List.of());
                try {
                    update = installed.update(TunnelRouting.withoutHostRoutes(next.changes(), nextHostRoutes));
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
                    gone.stream().filter(route -> !displaced.contains(route)).toList()));
            List<Change> added = new ArrayList<>();
            fresh.forEach(route -> added.add(new Change.AddRoute(route)));
            added.addAll(update.added());
            List<Change> removed = new ArrayList<>();
            gone.forEach(route -> removed.add(new Change.AddRoute(route)));
            removed.addAll(update.removed());
            settle(next);
            return new Changes(added, removed);
        }
    }

    /** Takes {@code preview} as what is in force, and reads the exclusions it leads to. */
    private void settle(RoutingPreview next) throws ErrnoException {
        List<IpPrefix> nextExclusions = exclusions(rtnl, next, owner.tag());
        this.preview = next;
        this.hostRoutes = next.hostRoutes();
        this.exclusions = List.copyOf(nextExclusions);
    }

    /** The tunnel device's name. */
    public String interfaceName() {
        synchronized (owner) {
            return preview.tunnel().name();
        }
    }

    /** The prefixes routed into the tunnel. */
    public List<IpPrefix> routed() {
        synchronized (owner) {
            return preview.plan().tunnelPrefixes();
        }
    }

    /** The prefixes inside {@link #routed()} that the kernel sends elsewhere (LAN, local, bypass). */
    public List<IpPrefix> exclusions() {
        synchronized (owner) {
            return exclusions;
        }
    }

    /** Each endpoint's bypass decision, with its reason. */
    public List<BypassDecision> bypass() {
        synchronized (owner) {
            return preview.bypass();
        }
    }

    /** The server host routes this tunnel holds (shared with other tunnels to the same servers). */
    public List<Route> hostRoutes() {
        synchronized (owner) {
            return hostRoutes;
        }
    }

    /** The changes this tunnel made on its own, in order. */
    public List<Change> changes() {
        return installed.changes();
    }

    /** Takes back this tunnel's changes and its holds on the host routes; idempotent. */
    @Override
    public void close() throws IOException {
        synchronized (owner) {
            if (closed) {
                return;
            }
            closed = true;
        }
        try (rtnl) {
            List<ErrnoException> failures = new ArrayList<>();
            try {
                installed.remove();
            } catch (RoutingException e) {
                failures.addAll(e.failures());
            }
            synchronized (owner) {
                failures.addAll(owner.bypassRoutes().release(rtnl, hostRoutes));
                hostRoutes = List.of();
            }
            if (!failures.isEmpty()) {
                throw new RoutingException("could not take back " + failures.size() + " changes", failures);
            }
        }
    }

    /**
     * What routing keeps out of the tunnel inside its prefixes, read from the kernel after the routes
     * are in: the bypass host routes, and every route of the main and local tables inside (or equal
     * to) a tunnel prefix that is not ours and that the kernel, asked as {@code ip route get} does,
     * does not resolve into the tunnel: the LAN, the machine's own and loopback addresses, another
     * interface's more specific routes.
     */
    private static List<IpPrefix> exclusions(RtNetlink rtnl, RoutingPreview preview, RouteTag tag)
            throws ErrnoException {
        List<IpPrefix> internal = preview.plan().tunnelPrefixes();
        int tunnel = preview.tunnel().index();
        List<IpPrefix> exclusions = new ArrayList<>();
        preview.hostRoutes().stream().map(Route::destination).distinct().forEach(exclusions::add);
        List<Route> candidates = new ArrayList<>(rtnl.mainRoutes());
        candidates.addAll(rtnl.routes(true, Route.LOCAL_TABLE));
        candidates.addAll(rtnl.routes(false, Route.LOCAL_TABLE));
        for (Route route : candidates) {
            IpPrefix destination = route.destination();
            if (tag.owns(route) || exclusions.contains(destination)) {
                continue;
            }
            boolean inside = internal.stream().anyMatch(prefix -> prefix.contains(destination));
            if (inside && !leadsIntoTunnel(rtnl, destination, tunnel)) {
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

    private static void failOn(List<ErrnoException> failures) throws RoutingException {
        if (!failures.isEmpty()) {
            throw new RoutingException("could not remove " + failures.size() + " host routes", failures);
        }
    }
}
