package dev.wgpr.routes;

import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import dev.wgpr.routes.netlink.InterfaceAddress;
import dev.wgpr.routes.netlink.Link;
import dev.wgpr.routes.netlink.Route;
import dev.wgpr.routes.netlink.RouteLookup;
import dev.wgpr.routes.netlink.RouteType;
import dev.wgpr.routes.netlink.RtNetlink;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What installing a {@link RoutingRequest} would do, decided against the kernel's routes now: the
 * plan, each endpoint's bypass decision, and the ordered changes (MTU, addresses, link up, bypass host
 * routes first, then tunnel routes, then unreachable routes). Deciding changes nothing.
 */
record RoutingPreview(Link tunnel, RoutePlan plan, List<BypassDecision> bypass, List<Change> changes) {
    RoutingPreview {
        bypass = List.copyOf(bypass);
        changes = List.copyOf(changes);
    }

    /** Decides everything for {@code request}, with {@code tag}'s marks, without changing anything. */
    static RoutingPreview of(RtNetlink rtnl, RoutingRequest request, RouteTag tag) throws ErrnoException {
        Link tunnel = rtnl.link(request.tunnelInterface())
                .orElseThrow(
                        () -> new ErrnoException("find tunnel interface " + request.tunnelInterface(), Libc.ENODEV));
        RoutePlan plan = RoutePlan.compute(request.mode(), request.allowedIps());
        List<BypassDecision> decisions = decideBypass(rtnl, plan, request.endpoints(), tag);
        List<Change> changes = new ArrayList<>();
        if (request.mtu().isPresent() && request.mtu().getAsInt() != tunnel.mtu()) {
            changes.add(
                    new Change.Mtu(tunnel.index(), tunnel.mtu(), request.mtu().getAsInt()));
        }
        for (InterfaceAddress address : request.addresses()) {
            changes.add(new Change.Address(tunnel.index(), address, true));
        }
        if (!tunnel.isUp()) {
            changes.add(new Change.LinkUp(tunnel.index()));
        }
        hostRoutes(decisions).forEach(r -> changes.add(new Change.AddRoute(r)));
        plan.routes(tunnel.index(), tag).forEach(r -> changes.add(new Change.AddRoute(r)));
        return new RoutingPreview(tunnel, plan, decisions, changes);
    }

    /** The server host routes the bypass decisions ask for, each once. */
    List<Route> hostRoutes() {
        return hostRoutes(bypass);
    }

    private static List<Route> hostRoutes(List<BypassDecision> decisions) {
        return decisions.stream()
                .flatMap(decision -> decision.hostRoute().stream())
                .distinct()
                .toList();
    }

    /**
     * The bypass decision for each endpoint, from the kernel's routes now. Where the kernel's answer is
     * one of {@code tag}'s own routes (the tunnel is up already: a reload, or the underlay changed), the
     * decision rests on {@link #lookupWithout} instead: the route the endpoint would take without them.
     */
    static List<BypassDecision> decideBypass(RtNetlink rtnl, RoutePlan plan, List<InetAddress> endpoints, RouteTag tag)
            throws ErrnoException {
        Map<Integer, String> names = new HashMap<>();
        for (Link link : rtnl.links()) {
            names.put(link.index(), link.name());
        }
        List<BypassDecision> decisions = new ArrayList<>();
        for (InetAddress endpoint : endpoints) {
            RouteLookup current = rtnl.lookup(endpoint);
            if (current.matched().filter(tag::owns).isPresent()) {
                current = lookupWithout(rtnl, endpoint, tag);
            }
            decisions.add(BypassDecision.decide(
                    endpoint, current, plan, tag, index -> names.getOrDefault(index, "#" + index)));
        }
        return decisions;
    }

    /**
     * What {@code ip route get} would answer for {@code destination} if {@code tag}'s routes were not
     * there: the main table's most specific route that is not {@code tag}'s, the lowest metric among
     * equals. The kernel cannot be asked to look past routes that exist; wg-pr's routes live in the main
     * table, so its longest match over the rest is the answer (policy rules are not consulted, as wg-pr
     * adds none).
     */
    static RouteLookup lookupWithout(RtNetlink rtnl, InetAddress destination, RouteTag tag) throws ErrnoException {
        Optional<Route> best = Optional.empty();
        for (Route route : rtnl.mainRoutes()) {
            if (tag.owns(route) || !route.destination().contains(destination)) {
                continue;
            }
            if (best.isEmpty() || moreSpecificOrPreferred(route, best.get())) {
                best = Optional.of(route);
            }
        }
        if (best.isEmpty()) {
            return new RouteLookup(
                    destination,
                    Libc.ENETUNREACH,
                    RouteType.UNSPEC,
                    0,
                    Optional.empty(),
                    Optional.empty(),
                    0,
                    Optional.empty());
        }
        Route route = best.get();
        int errno = route.type() == RouteType.UNICAST ? 0 : Libc.EHOSTUNREACH;
        return new RouteLookup(
                destination,
                errno,
                route.type(),
                errno == 0 ? route.interfaceIndex() : 0,
                errno == 0 ? route.gateway() : Optional.empty(),
                Optional.empty(),
                route.table(),
                best);
    }

    private static boolean moreSpecificOrPreferred(Route candidate, Route best) {
        int lengths = Integer.compare(
                candidate.destination().length(), best.destination().length());
        return lengths > 0 || (lengths == 0 && candidate.metric() < best.metric());
    }
}
