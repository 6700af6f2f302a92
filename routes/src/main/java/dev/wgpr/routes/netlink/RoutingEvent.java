package dev.wgpr.routes.netlink;

import java.util.Optional;

/**
 * One rtnetlink notification: a link, address or route appeared, changed or went away, or the kernel
 * dropped notifications ({@link Kind#OVERFLOW}, after which everything must be re-read).
 *
 * @param kind what changed
 * @param removed true for {@code RTM_DEL*}
 * @param route the route, for {@link Kind#ROUTE}
 * @param interfaceIndex the interface concerned (link and address events; the route's output
 *     interface for route events), 0 if none
 */
public record RoutingEvent(Kind kind, boolean removed, Optional<Route> route, int interfaceIndex) {
    public enum Kind {
        LINK,
        ADDRESS,
        ROUTE,
        OVERFLOW
    }

    public static RoutingEvent overflow() {
        return new RoutingEvent(Kind.OVERFLOW, false, Optional.empty(), 0);
    }
}
