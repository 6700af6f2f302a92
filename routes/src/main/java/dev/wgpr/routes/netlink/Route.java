package dev.wgpr.routes.netlink;

import dev.wgpr.common.net.IpPrefix;
import java.net.InetAddress;
import java.util.Objects;
import java.util.Optional;
import java.util.function.IntFunction;

/**
 * One route of the kernel's FIB, as dumped ({@code RTM_NEWROUTE}) or to be added/removed. Build routes
 * to add with {@link #unicast}/{@link #unreachable} and the {@code with…} methods.
 *
 * @param destination the destination prefix ({@code RTA_DST}, {@code rtm_dst_len}); 0.0.0.0/0 or ::/0
 *     for a default route
 * @param type {@code rtm_type}
 * @param interfaceIndex the output interface ({@code RTA_OIF}), 0 when there is none
 * @param gateway the next hop ({@code RTA_GATEWAY}), empty for a route on the link or without one
 * @param metric {@code RTA_PRIORITY}; lower wins among routes of the same prefix
 * @param table the routing table ({@code RTA_TABLE}); {@link #MAIN_TABLE} is what {@code ip route} shows
 * @param protocol {@code rtm_protocol}: who installed it (2 kernel, 3 boot, 4 static, {@code
 *     RouteTag.PROTOCOL} for wg-pr)
 * @param scope {@code rtm_scope}: 0 universe, 253 link, 254 host
 * @param preferredSource {@code RTA_PREFSRC}
 */
public record Route(
        IpPrefix destination,
        RouteType type,
        int interfaceIndex,
        Optional<InetAddress> gateway,
        int metric,
        int table,
        int protocol,
        int scope,
        Optional<InetAddress> preferredSource) {
    public static final int MAIN_TABLE = 254;
    public static final int LOCAL_TABLE = 255;
    public static final int SCOPE_UNIVERSE = 0;
    public static final int SCOPE_LINK = 253;
    public static final int SCOPE_HOST = 254;
    /** {@code RTPROT_BOOT}: what {@code ip route add} uses when no protocol is given. */
    public static final int PROTOCOL_BOOT = 3;
    /** {@code RTPROT_KERNEL}: routes the kernel made, e.g. for an address's network. */
    public static final int PROTOCOL_KERNEL = 2;

    public Route {
        Objects.requireNonNull(destination, "destination");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(gateway, "gateway");
        Objects.requireNonNull(preferredSource, "preferredSource");
        gateway.ifPresent(g -> {
            if (g.getAddress().length != destination.address().getAddress().length) {
                throw new IllegalArgumentException(
                        "gateway " + g.getHostAddress() + " is not of the family of " + destination);
            }
        });
    }

    /** A unicast route out of {@code interfaceIndex} on the link (no gateway yet), main table. */
    public static Route unicast(IpPrefix destination, int interfaceIndex) {
        return new Route(
                destination,
                RouteType.UNICAST,
                interfaceIndex,
                Optional.empty(),
                0,
                MAIN_TABLE,
                PROTOCOL_BOOT,
                SCOPE_LINK,
                Optional.empty());
    }

    /** An {@code unreachable} route (packets fail with EHOSTUNREACH / ICMP unreachable), main table. */
    public static Route unreachable(IpPrefix destination) {
        return new Route(
                destination,
                RouteType.UNREACHABLE,
                0,
                Optional.empty(),
                0,
                MAIN_TABLE,
                PROTOCOL_BOOT,
                SCOPE_UNIVERSE,
                Optional.empty());
    }

    /** Through {@code next}: the scope becomes universe, as {@code ip route add … via} does. */
    public Route withGateway(InetAddress next) {
        return new Route(
                destination,
                type,
                interfaceIndex,
                Optional.of(next),
                metric,
                table,
                protocol,
                SCOPE_UNIVERSE,
                preferredSource);
    }

    public Route withMetric(int value) {
        return new Route(destination, type, interfaceIndex, gateway, value, table, protocol, scope, preferredSource);
    }

    /** The same route in table {@code value} (the underlay mirror's copies of main's routes). */
    public Route withTable(int value) {
        return new Route(destination, type, interfaceIndex, gateway, metric, value, protocol, scope, preferredSource);
    }

    public Route withProtocol(int value) {
        return new Route(destination, type, interfaceIndex, gateway, metric, table, value, scope, preferredSource);
    }

    public boolean isIpv4() {
        return destination.isIpv4();
    }

    /** Prefix length 0: a default route. */
    public boolean isDefault() {
        return destination.length() == 0;
    }

    /** In the words of {@code ip route}, with the interface as an index (e.g. {@code dev #4}). */
    @Override
    public String toString() {
        return describe(index -> "#" + index, Integer::toString);
    }

    /**
     * In the words of {@code ip route}: interfaces by {@code interfaceName}, the protocol by {@code
     * protocolName} (the names of {@code rt_protos}), scopes by their names.
     */
    public String describe(IntFunction<String> interfaceName, IntFunction<String> protocolName) {
        StringBuilder text = new StringBuilder();
        if (type != RouteType.UNICAST) {
            text.append(type.word()).append(' ');
        }
        text.append(isDefault() ? "default" : destination.toString());
        gateway.ifPresent(g -> text.append(" via ").append(g.getHostAddress()));
        if (interfaceIndex != 0) {
            text.append(" dev ").append(interfaceName.apply(interfaceIndex));
        }
        if (table != MAIN_TABLE) {
            text.append(" table ").append(table);
        }
        text.append(" proto ").append(protocolName.apply(protocol));
        if (scope != SCOPE_UNIVERSE) {
            text.append(" scope ").append(scopeName(scope));
        }
        preferredSource.ifPresent(s -> text.append(" src ").append(s.getHostAddress()));
        text.append(" metric ").append(Integer.toUnsignedString(metric));
        return text.toString();
    }

    private static String scopeName(int scope) {
        return switch (scope) {
            case 200 -> "site";
            case SCOPE_LINK -> "link";
            case SCOPE_HOST -> "host";
            case 255 -> "nowhere";
            default -> Integer.toString(scope);
        };
    }
}
