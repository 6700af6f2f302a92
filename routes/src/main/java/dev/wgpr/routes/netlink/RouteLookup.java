package dev.wgpr.routes.netlink;

import java.net.InetAddress;
import java.util.Optional;

/**
 * What the kernel answers to {@code ip route get DESTINATION} ({@code RTM_GETROUTE} with {@code
 * RTA_DST}, no dump), together with the FIB entry that matched ({@code RTM_F_FIB_MATCH}, as {@code ip
 * route get fibmatch} shows).
 *
 * @param destination the address asked about
 * @param errno 0 when the kernel found a way; else why not, e.g. {@code EHOSTUNREACH} for an {@code
 *     unreachable} route or {@code ENETUNREACH} when no route matches
 * @param type the result's type: {@link RouteType#UNICAST}, {@link RouteType#LOCAL}, … (for a refused
 *     lookup the type of the matched entry when the kernel names it, else {@link RouteType#UNSPEC})
 * @param interfaceIndex the output interface, 0 if none
 * @param gateway the next hop, empty when the destination is on the link
 * @param preferredSource the source address the kernel would pick
 * @param table the table the answer came from ({@code RTM_F_LOOKUP_TABLE}); without custom rules the
 *     kernel merges the local table into main and says 254 even for local addresses
 * @param matched the FIB entry that matched, with its prefix, metric and protocol; empty when the
 *     kernel would not say
 */
public record RouteLookup(
        InetAddress destination,
        int errno,
        RouteType type,
        int interfaceIndex,
        Optional<InetAddress> gateway,
        Optional<InetAddress> preferredSource,
        int table,
        Optional<Route> matched) {
    /** Whether the kernel would send a packet to {@link #destination} (a way out, or locally delivered). */
    public boolean reachable() {
        return errno == 0;
    }

    /** The prefix length of the matched entry, or -1 when unknown. */
    public int matchedPrefixLength() {
        return matched.map(r -> r.destination().length()).orElse(-1);
    }
}
