package dev.wgpr.routes;

import dev.wgpr.common.linux.Libc;
import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.routes.netlink.Route;
import dev.wgpr.routes.netlink.RouteLookup;
import dev.wgpr.routes.netlink.RouteType;
import java.net.InetAddress;
import java.util.Objects;
import java.util.Optional;
import java.util.function.IntFunction;

/**
 * Whether a peer's endpoint needs a host route that keeps the tunnel's own packets off the tunnel,
 * and why, in words for {@code wg-pr status} and {@code wg-pr check}.
 *
 * <p>The decision is taken from the kernel's answer for the endpoint <em>before</em> wg-pr's routes go
 * in ({@code ip route get} plus {@code fibmatch}), with L the prefix length of the matched route and S
 * the most specific planned tunnel prefix containing the endpoint:
 *
 * <ul>
 *   <li>matched route is a default route (L = 0): host route via the same gateway and device. With S
 *       present (always under di-semi-default) it is needed now; without it, it keeps the endpoint on
 *       the underlay whatever is added later;
 *   <li>S longer than L (the endpoint is inside an allowedIPs prefix more specific than its current
 *       route, the classic routing loop, also for a server on the LAN): host route via the same gateway,
 *       or on the link when the matched route has none;
 *   <li>otherwise (a server on the local network, or reached through a more specific route that none
 *       of wg-pr's routes shadows): none. S of exactly length L does not shadow, because wg-pr's routes
 *       carry a larger metric than any usual route;
 *   <li>no route at all, or the endpoint is a local address: none, and the reason says so.
 * </ul>
 *
 * @param endpoint the peer's endpoint address
 * @param hostRoute the host route to add (/32 or /128, wg-pr's protocol, {@link RouteTag#bypassMetric()})
 * @param reason why, in words
 * @param current the kernel's answer the decision rests on
 */
public record BypassDecision(InetAddress endpoint, Optional<Route> hostRoute, String reason, RouteLookup current) {
    public BypassDecision {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(hostRoute, "hostRoute");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(current, "current");
    }

    public boolean bypass() {
        return hostRoute.isPresent();
    }

    /**
     * Decides for {@code endpoint} from {@code current} (its lookup before wg-pr's routes exist).
     * {@code interfaceName} turns indexes into names for the reason.
     */
    public static BypassDecision decide(
            InetAddress endpoint,
            RouteLookup current,
            RoutePlan plan,
            RouteTag tag,
            IntFunction<String> interfaceName) {
        String who = endpoint.getHostAddress();
        if (!current.reachable()) {
            return none(
                    endpoint,
                    current,
                    who + " has no route now (" + Libc.strerror(current.errno())
                            + "); no host route, the tunnel cannot reach it either");
        }
        if (current.type() == RouteType.LOCAL) {
            return none(endpoint, current, who + " is an address of this host; no host route");
        }
        String path = describePath(current, interfaceName);
        if (current.matched().filter(RouteTag::isWgPr).isPresent()) {
            Route ours = current.matched().get();
            if (tag.owns(ours)
                    && ours.metric() == tag.bypassMetric()
                    && ours.destination().equals(IpPrefix.host(endpoint))) {
                return new BypassDecision(
                        endpoint, Optional.of(ours), who + " already has wg-pr's host route " + path, current);
            }
            return none(
                    endpoint,
                    current,
                    who + " is routed by wg-pr's own " + ours.destination() + " " + path
                            + "; decide before wg-pr's routes are installed (or after removing them)");
        }
        Optional<IpPrefix> covering = plan.tunnelPrefixFor(endpoint);
        int matchedLength = current.matchedPrefixLength();
        if (matchedLength < 0 || matchedLength == 0) {
            String matched = matchedLength == 0 ? "the default route" : "a route the kernel would not name";
            String why = covering.map(
                            s -> "; without a host route, wg-pr's " + s + " would carry the tunnel's own packets")
                    .orElse("; a host route keeps it on the underlay whatever routes come later");
            return add(endpoint, current, tag, "reached through " + matched + " " + path + why);
        }
        IpPrefix matched = current.matched().orElseThrow().destination();
        if (covering.isPresent() && covering.get().length() > matchedLength) {
            return add(
                    endpoint,
                    current,
                    tag,
                    who + " is inside allowedIPs " + covering.get() + ", more specific than its route "
                            + matched + " " + path
                            + "; without a host route the tunnel would carry its own packets (routing loop)");
        }
        String shadow =
                covering.map(s -> "wg-pr's " + s + " is not more specific").orElse("no wg-pr route covers it");
        if (current.gateway().isEmpty()) {
            return none(
                    endpoint,
                    current,
                    who + " is on the local network (" + matched + " " + path + ", no gateway) and " + shadow
                            + "; no host route");
        }
        return none(
                endpoint,
                current,
                who + " is reached through the more specific route " + matched + " " + path + " and " + shadow
                        + "; no host route");
    }

    private static String describePath(RouteLookup current, IntFunction<String> interfaceName) {
        StringBuilder text = new StringBuilder();
        current.gateway()
                .ifPresent(g -> text.append("via ").append(g.getHostAddress()).append(' '));
        text.append("dev ").append(interfaceName.apply(current.interfaceIndex()));
        return text.toString();
    }

    private static BypassDecision none(InetAddress endpoint, RouteLookup current, String reason) {
        return new BypassDecision(endpoint, Optional.empty(), reason, current);
    }

    private static BypassDecision add(InetAddress endpoint, RouteLookup current, RouteTag tag, String reason) {
        Route route = Route.unicast(IpPrefix.host(endpoint), current.interfaceIndex())
                .withMetric(tag.bypassMetric())
                .withProtocol(tag.protocol());
        if (current.gateway().isPresent()) {
            route = route.withGateway(current.gateway().get());
        }
        return new BypassDecision(endpoint, Optional.of(route), reason, current);
    }
}
