package dev.wgpr.routes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.common.linux.Libc;
import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.routes.netlink.Route;
import dev.wgpr.routes.netlink.RouteLookup;
import dev.wgpr.routes.netlink.RouteType;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The bypass rule on hand-made kernel answers (the namespace tests check it on real ones). */
class BypassDecisionTest {
    private static final RouteTag TAG = RouteTag.forInstance("wg-pr");
    private static final int ETH0 = 2;
    private static final InetAddress GATEWAY = IpPrefix.parseAddress("192.168.10.1");

    private static RouteLookup lookup(String endpoint, String matchedPrefix, Optional<InetAddress> gateway) {
        Route matched = new Route(
                IpPrefix.parse(matchedPrefix),
                RouteType.UNICAST,
                ETH0,
                gateway,
                0,
                Route.MAIN_TABLE,
                Route.PROTOCOL_BOOT,
                Route.SCOPE_UNIVERSE,
                Optional.empty());
        return new RouteLookup(
                IpPrefix.parseAddress(endpoint),
                0,
                RouteType.UNICAST,
                ETH0,
                gateway,
                Optional.empty(),
                Route.MAIN_TABLE,
                Optional.of(matched));
    }

    private static BypassDecision decide(String endpoint, RouteLookup lookup, RouteMode mode, String... allowed) {
        RoutePlan plan = RoutePlan.compute(
                mode, List.of(allowed).stream().map(IpPrefix::parse).toList());
        return BypassDecision.decide(
                IpPrefix.parseAddress(endpoint), lookup, plan, TAG, i -> i == ETH0 ? "eth0" : "#" + i);
    }

    @Test
    void aServerReachedThroughTheDefaultRouteGetsAHostRouteViaTheSameGatewayAndDevice() {
        BypassDecision decision = decide(
                "198.51.100.10",
                lookup("198.51.100.10", "0.0.0.0/0", Optional.of(GATEWAY)),
                RouteMode.DI_SEMI_DEFAULT,
                "0.0.0.0/0");
        Route route = decision.hostRoute().orElseThrow();
        assertEquals(IpPrefix.parse("198.51.100.10/32"), route.destination());
        assertEquals(Optional.of(GATEWAY), route.gateway());
        assertEquals(ETH0, route.interfaceIndex());
        assertEquals(RouteTag.PROTOCOL, route.protocol());
        assertEquals(TAG.bypassMetric(), route.metric());
        assertEquals(
                "reached through the default route via 192.168.10.1 dev eth0; without a host route, wg-pr's"
                        + " 128.0.0.0/1 would carry the tunnel's own packets",
                decision.reason());
    }

    @Test
    void aDefaultRoutedServerOutsideAllowedIpsStillGetsOneForLaterRoutes() {
        BypassDecision decision = decide(
                "198.51.100.10",
                lookup("198.51.100.10", "0.0.0.0/0", Optional.of(GATEWAY)),
                RouteMode.PER_PREFIX,
                "10.20.0.0/16");
        assertTrue(decision.bypass(), decision.reason());
        assertTrue(decision.reason().contains("whatever routes come later"), decision.reason());
    }

    @Test
    void aServerOnTheLocalNetworkGetsNoneEvenUnderTheHalfDefaults() {
        BypassDecision decision = decide(
                "192.168.20.10",
                lookup("192.168.20.10", "192.168.20.0/24", Optional.empty()),
                RouteMode.DI_SEMI_DEFAULT,
                "0.0.0.0/0");
        assertFalse(decision.bypass());
        assertTrue(decision.reason().contains("on the local network (192.168.20.0/24 dev eth0"), decision.reason());
    }

    @Test
    void aServerBehindAMoreSpecificRouteGetsNoneUnlessAllowedIpsAreMoreSpecificStill() {
        RouteLookup viaSpecific = lookup("198.51.100.10", "198.51.0.0/16", Optional.of(GATEWAY));
        BypassDecision wider = decide("198.51.100.10", viaSpecific, RouteMode.PER_PREFIX, "198.0.0.0/8");
        assertFalse(wider.bypass(), wider.reason());
        assertTrue(wider.reason().contains("more specific route 198.51.0.0/16"), wider.reason());
        BypassDecision equal = decide("198.51.100.10", viaSpecific, RouteMode.PER_PREFIX, "198.51.0.0/16");
        assertFalse(equal.bypass(), equal.reason());
        BypassDecision narrower = decide("198.51.100.10", viaSpecific, RouteMode.PER_PREFIX, "198.51.100.0/24");
        assertTrue(narrower.bypass(), narrower.reason());
        assertTrue(narrower.reason().contains("routing loop"), narrower.reason());
        assertEquals(Optional.of(GATEWAY), narrower.hostRoute().orElseThrow().gateway());
    }

    @Test
    void anOnLanServerInsideAMoreSpecificAllowedPrefixGetsAHostRouteOnTheLink() {
        BypassDecision decision = decide(
                "192.168.20.10",
                lookup("192.168.20.10", "192.168.20.0/24", Optional.empty()),
                RouteMode.PER_PREFIX,
                "192.168.20.0/25");
        Route route = decision.hostRoute().orElseThrow();
        assertEquals(Optional.empty(), route.gateway());
        assertEquals(Route.SCOPE_LINK, route.scope());
        assertEquals(ETH0, route.interfaceIndex());
    }

    @Test
    void anUnreachableOrLocalEndpointGetsNoneAndTheReasonSaysWhy() {
        InetAddress endpoint = IpPrefix.parseAddress("198.51.100.10");
        RouteLookup none = new RouteLookup(
                endpoint,
                Libc.ENETUNREACH,
                RouteType.UNSPEC,
                0,
                Optional.empty(),
                Optional.empty(),
                0,
                Optional.empty());
        BypassDecision unreachable = decide("198.51.100.10", none, RouteMode.DI_SEMI_DEFAULT, "0.0.0.0/0");
        assertFalse(unreachable.bypass());
        assertTrue(unreachable.reason().contains("has no route now"), unreachable.reason());
        RouteLookup local = new RouteLookup(
                endpoint,
                0,
                RouteType.LOCAL,
                1,
                Optional.empty(),
                Optional.empty(),
                Route.LOCAL_TABLE,
                Optional.empty());
        BypassDecision self = decide("198.51.100.10", local, RouteMode.DI_SEMI_DEFAULT, "0.0.0.0/0");
        assertFalse(self.bypass());
        assertTrue(self.reason().contains("address of this host"), self.reason());
    }
}
