package dev.wgpr.routes;

import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.routes.netlink.Route;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The routes {@code up} installs for one tunnel, computed from the route mode and the peers'
 * {@code allowedIPs} alone (no kernel involved):
 *
 * <ul>
 *   <li>a default prefix (0.0.0.0/0, ::/0) is always split into its two halves, so the existing
 *       default route is never touched, in either mode;
 *   <li>{@link RouteMode#DI_SEMI_DEFAULT} adds 0.0.0.0/1 + 128.0.0.0/1 even when 0.0.0.0/0 is not
 *       among the allowedIPs (and ::/1 + 8000::/1 only when ::/0 is);
 *   <li>a prefix covered by another planned prefix is dropped: its route would decide nothing (same
 *       device, and the covering route is what a lookup falls back to);
 *   <li>fail-closed: every tunnel prefix also gets an {@code unreachable} route of a worse metric, so
 *       when the tunnel interface (and with it its routes) vanishes, internal destinations fail fast
 *       instead of leaving through the LAN gateway.
 * </ul>
 *
 * @param mode the resolved mode
 * @param tunnelPrefixes the prefixes routed into the tunnel, sorted (IPv4 first)
 */
public record RoutePlan(RouteMode mode, List<IpPrefix> tunnelPrefixes) {
    private static final IpPrefix V4_LOW = IpPrefix.parse("0.0.0.0/1");
    private static final IpPrefix V4_HIGH = IpPrefix.parse("128.0.0.0/1");
    private static final IpPrefix V6_LOW = IpPrefix.parse("::/1");
    private static final IpPrefix V6_HIGH = IpPrefix.parse("8000::/1");

    public RoutePlan {
        tunnelPrefixes = List.copyOf(tunnelPrefixes);
    }

    public static RoutePlan compute(RouteMode mode, Collection<IpPrefix> allowedIps) {
        TreeSet<IpPrefix> wanted = new TreeSet<>();
        for (IpPrefix prefix : allowedIps) {
            if (prefix.length() == 0) {
                wanted.add(prefix.isIpv4() ? V4_LOW : V6_LOW);
                wanted.add(prefix.isIpv4() ? V4_HIGH : V6_HIGH);
            } else {
                wanted.add(prefix);
            }
        }
        if (mode == RouteMode.DI_SEMI_DEFAULT) {
            wanted.add(V4_LOW);
            wanted.add(V4_HIGH);
        }
        List<IpPrefix> minimal = new ArrayList<>();
        for (IpPrefix prefix : wanted) {
            boolean covered = wanted.stream().anyMatch(other -> !other.equals(prefix) && other.contains(prefix));
            if (!covered) {
                minimal.add(prefix);
            }
        }
        return new RoutePlan(mode, minimal);
    }

    /** The fail-closed prefixes: the same as {@link #tunnelPrefixes()}. */
    public List<IpPrefix> unreachablePrefixes() {
        return tunnelPrefixes;
    }

    /** The most specific tunnel prefix that contains {@code address}, if any. */
    public Optional<IpPrefix> tunnelPrefixFor(InetAddress address) {
        return tunnelPrefixes.stream().filter(p -> p.contains(address)).max(Comparator.comparingInt(IpPrefix::length));
    }

    /**
     * The kernel routes of this plan for tunnel interface {@code tunnelIndex}: the tunnel routes (on the
     * link, {@link RouteTag#tunnelMetric()}), then the unreachable routes ({@link
     * RouteTag#unreachableMetric()}), all with the tag's protocol, in the main table.
     */
    public List<Route> routes(int tunnelIndex, RouteTag tag) {
        List<Route> routes = new ArrayList<>();
        for (IpPrefix prefix : tunnelPrefixes) {
            routes.add(Route.unicast(prefix, tunnelIndex)
                    .withMetric(tag.tunnelMetric())
                    .withProtocol(tag.protocol()));
        }
        for (IpPrefix prefix : unreachablePrefixes()) {
            routes.add(Route.unreachable(prefix)
                    .withMetric(tag.unreachableMetric())
                    .withProtocol(tag.protocol()));
        }
        return routes;
    }
}
