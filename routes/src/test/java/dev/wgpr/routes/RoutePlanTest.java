package dev.wgpr.routes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.routes.netlink.Route;
import dev.wgpr.routes.netlink.RouteType;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RoutePlanTest {
    private static List<IpPrefix> prefixes(String... texts) {
        return Arrays.stream(texts).map(IpPrefix::parse).toList();
    }

    private static List<String> planned(RouteMode mode, String... allowed) {
        return RoutePlan.compute(mode, prefixes(allowed)).tunnelPrefixes().stream()
                .map(IpPrefix::toString)
                .toList();
    }

    @Test
    void perPrefixRoutesEachAllowedPrefixIpv4First() {
        assertEquals(
                List.of("10.20.0.0/16", "172.16.0.0/12", "fd10:20:0:0:0:0:0:0/32"),
                planned(RouteMode.PER_PREFIX, "fd10:20::/32", "172.16.0.0/12", "10.20.0.0/16"));
    }

    @Test
    void perPrefixDropsDuplicatesAndPrefixesCoveredByAnotherOne() {
        assertEquals(
                List.of("10.20.0.0/16", "10.30.0.0/24"),
                planned(RouteMode.PER_PREFIX, "10.20.1.0/24", "10.20.0.0/16", "10.30.0.0/24", "10.20.0.0/16"));
    }

    @Test
    void aDefaultPrefixIsSplitInHalvesInEitherModeSoTheDefaultRouteIsNeverTouched() {
        for (RouteMode mode : RouteMode.values()) {
            assertEquals(
                    List.of("0.0.0.0/1", "128.0.0.0/1", "0:0:0:0:0:0:0:0/1", "8000:0:0:0:0:0:0:0/1"),
                    planned(mode, "0.0.0.0/0", "::/0", "10.20.0.0/16"),
                    mode.word());
        }
    }

    @Test
    void diSemiDefaultAddsTheIpv4HalvesAndKeepsIpv6PrefixesNotCovered() {
        assertEquals(
                List.of("0.0.0.0/1", "128.0.0.0/1", "fd10:20:0:0:0:0:0:0/32"),
                planned(RouteMode.DI_SEMI_DEFAULT, "10.20.0.0/16", "fd10:20::/32"));
    }

    @Test
    void everyTunnelRouteHasAnUnreachableTwinOfAWorseMetricAndAllCarryTheTag() {
        RouteTag tag = RouteTag.forInstance("corp");
        RoutePlan plan = RoutePlan.compute(RouteMode.PER_PREFIX, prefixes("10.20.0.0/16", "fd10:20::/32"));
        List<Route> routes = plan.routes(7, tag);
        assertEquals(4, routes.size());
        for (int i = 0; i < 2; i++) {
            Route tunnel = routes.get(i);
            Route unreachable = routes.get(i + 2);
            assertEquals(RouteType.UNICAST, tunnel.type());
            assertEquals(7, tunnel.interfaceIndex());
            assertEquals(Optional.empty(), tunnel.gateway());
            assertEquals(RouteType.UNREACHABLE, unreachable.type());
            assertEquals(0, unreachable.interfaceIndex());
            assertEquals(tunnel.destination(), unreachable.destination());
            assertTrue(Integer.compareUnsigned(unreachable.metric(), tunnel.metric()) > 0);
            assertTrue(tag.owns(tunnel) && tag.owns(unreachable));
            assertEquals(Route.MAIN_TABLE, tunnel.table());
        }
    }

    @Test
    void theTunnelPrefixOfAnAddressIsTheMostSpecificOneContainingIt() {
        RoutePlan plan = RoutePlan.compute(RouteMode.DI_SEMI_DEFAULT, prefixes("fd10:20::/32", "::/0"));
        // fd10:20::/32 is covered by 8000::/1 and not planned on its own
        assertEquals(
                Optional.of(IpPrefix.parse("8000::/1")), plan.tunnelPrefixFor(IpPrefix.parseAddress("fd10:20::1")));
        assertEquals(Optional.of(IpPrefix.parse("::/1")), plan.tunnelPrefixFor(IpPrefix.parseAddress("2001:db8::1")));
        RoutePlan perPrefix = RoutePlan.compute(RouteMode.PER_PREFIX, prefixes("10.0.0.0/8", "10.20.0.0/16"));
        assertEquals(
                Optional.of(IpPrefix.parse("10.0.0.0/8")),
                perPrefix.tunnelPrefixFor(IpPrefix.parseAddress("10.20.1.1")));
        assertEquals(Optional.empty(), perPrefix.tunnelPrefixFor(IpPrefix.parseAddress("11.0.0.1")));
    }

    @Test
    void routeModeAutoMeansDiSemiDefaultExactlyWhenADefaultPrefixIsAllowed() {
        assertEquals(RouteMode.DI_SEMI_DEFAULT, RouteMode.auto(prefixes("::/0")));
        assertEquals(RouteMode.DI_SEMI_DEFAULT, RouteMode.auto(prefixes("10.0.0.0/8", "0.0.0.0/0")));
        assertEquals(RouteMode.PER_PREFIX, RouteMode.auto(prefixes("10.0.0.0/8", "0.0.0.0/1")));
        assertEquals("di-semi-default", RouteMode.DI_SEMI_DEFAULT.word());
    }
}
