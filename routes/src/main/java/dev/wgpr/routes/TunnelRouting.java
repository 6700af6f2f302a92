package dev.wgpr.routes;

import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import dev.wgpr.common.net.IpPrefix;
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
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What {@code up} and {@code down} need from the kernel's routing for one tunnel, in one call each:
 * {@link #plan} (for {@code wg-pr check}: nothing is changed), {@link #up} and then {@link
 * Setup#close()}, and {@link #removeStaleRoutes} for what a crashed run left. Works in the network
 * namespace of the {@link RtNetlink} it is given.
 */
public final class TunnelRouting {
    private TunnelRouting() {}

    /**
     * What to install for one tunnel.
     *
     * @param tunnelInterface the tunnel device, which must exist
     * @param mode resolved route mode
     * @param allowedIps the union of the peers' allowedIPs
     * @param endpoints the peers' endpoint addresses (names already resolved)
     * @param addresses the tunnel's own addresses (IPv6 ones get {@code IFA_F_NODAD})
     * @param mtu the tunnel MTU, if it is to be set
     * @param tag the instance's route tag
     */
    public record Request(
            String tunnelInterface,
            RouteMode mode,
            List<IpPrefix> allowedIps,
            List<InetAddress> endpoints,
            List<InterfaceAddress> addresses,
            OptionalInt mtu,
            RouteTag tag) {
        public Request {
            Objects.requireNonNull(tunnelInterface, "tunnelInterface");
            Objects.requireNonNull(mode, "mode");
            allowedIps = List.copyOf(allowedIps);
            endpoints = List.copyOf(endpoints);
            addresses = List.copyOf(addresses);
            Objects.requireNonNull(mtu, "mtu");
            Objects.requireNonNull(tag, "tag");
        }
    }

    /**
     * What {@code up} would do, decided against the kernel's routes now: the plan, each endpoint's
     * bypass decision, and the ordered changes (MTU, addresses, link up, bypass host routes first, then
     * tunnel routes, then unreachable routes). Changes nothing.
     */
    public record Preview(Link tunnel, RoutePlan plan, List<BypassDecision> bypass, List<Change> changes) {
        public Preview {
            bypass = List.copyOf(bypass);
            changes = List.copyOf(changes);
        }
    }

    /** The result of {@link #up}; {@link #close()} takes back exactly what was added. */
    public record Setup(Preview preview, InstalledRoutes installed) implements AutoCloseable {
        @Override
        public void close() throws RoutingException {
            installed.remove();
        }
    }

    /** Decides everything for {@code request} without changing anything. */
    public static Preview plan(RtNetlink rtnl, Request request) throws ErrnoException {
        Link tunnel = rtnl.link(request.tunnelInterface())
                .orElseThrow(
                        () -> new ErrnoException("find tunnel interface " + request.tunnelInterface(), Libc.ENODEV));
        RoutePlan plan = RoutePlan.compute(request.mode(), request.allowedIps());
        List<BypassDecision> decisions = decideBypass(rtnl, plan, request.endpoints(), request.tag());
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
        List<Route> bypassRoutes = new ArrayList<>();
        for (BypassDecision decision : decisions) {
            decision.hostRoute().filter(r -> !bypassRoutes.contains(r)).ifPresent(bypassRoutes::add);
        }
        bypassRoutes.forEach(r -> changes.add(new Change.AddRoute(r)));
        plan.routes(tunnel.index(), request.tag()).forEach(r -> changes.add(new Change.AddRoute(r)));
        return new Preview(tunnel, plan, decisions, changes);
    }

    /**
     * Configures the tunnel's routing for {@code request}: all of it, or (on an error) none of it.
     * Bypass host routes go in before the routes that would shadow the endpoints, so the underlay path
     * to the server never breaks.
     */
    public static Setup up(RtNetlink rtnl, Request request) throws ErrnoException {
        Preview preview = plan(rtnl, request);
        return new Setup(preview, InstalledRoutes.apply(rtnl, preview.changes()));
    }

    /**
     * The bypass decision for each endpoint, from the kernel's routes now. Where the kernel's answer is
     * one of {@code tag}'s own routes (the tunnel is up already: a reload, or the underlay changed), the
     * decision rests on {@link #lookupWithout} instead: the route the endpoint would take without them.
     */
    public static List<BypassDecision> decideBypass(
            RtNetlink rtnl, RoutePlan plan, List<InetAddress> endpoints, RouteTag tag) throws ErrnoException {
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
    public static RouteLookup lookupWithout(RtNetlink rtnl, InetAddress destination, RouteTag tag)
            throws ErrnoException {
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

    /**
     * Brings an installed tunnel's routing to {@code request} (a reload, or a changed underlay: new
     * gateway, new LAN routes) without tearing it down: a fresh plan against the kernel now, then
     * {@link InstalledRoutes#update}. Returns the new setup (its {@link Setup#installed()} is the same
     * object) and what changed.
     */
    public static Updated update(RtNetlink rtnl, Setup setup, Request request) throws ErrnoException {
        Preview preview = plan(rtnl, request);
        InstalledRoutes.Update changes = setup.installed().update(preview.changes());
        return new Updated(new Setup(preview, setup.installed()), changes);
    }

    /** The result of {@link #update}. */
    public record Updated(Setup setup, InstalledRoutes.Update changes) {}

    /** The routes in the main tables (IPv4 and IPv6) that {@code tag}'s instance added. */
    public static List<Route> findStaleRoutes(RtNetlink rtnl, RouteTag tag) throws ErrnoException {
        return rtnl.mainRoutes().stream().filter(tag::owns).toList();
    }

    /**
     * Removes what a crashed run of {@code tag}'s instance left in the main tables: every route of
     * protocol {@link RouteTag#PROTOCOL} in the instance's metric band (other instances' routes and
     * everybody else's stay). Returns the routes removed; one that vanished meanwhile is skipped.
     */
    public static List<Route> removeStaleRoutes(RtNetlink rtnl, RouteTag tag) throws ErrnoException {
        List<Route> removed = new ArrayList<>();
        for (Route route : findStaleRoutes(rtnl, tag)) {
            try {
                rtnl.removeRoute(route);
                removed.add(route);
            } catch (ErrnoException e) {
                if (!InstalledRoutes.isGone(e.errno())) {
                    throw e;
                }
            }
        }
        return removed;
    }
}
