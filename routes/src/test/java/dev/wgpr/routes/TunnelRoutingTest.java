package dev.wgpr.routes;

import static dev.wgpr.routes.RouteLab.TUNNEL;
import static dev.wgpr.routes.RouteLab.address;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.routes.netlink.InterfaceAddress;
import dev.wgpr.routes.netlink.Route;
import dev.wgpr.routes.netlink.RouteLookup;
import dev.wgpr.routes.netlink.RtNetlink;
import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.lab.Namespace;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import dev.wgpr.testing.lab.Topologies;
import dev.wgpr.testing.lab.Topologies.OnLan;
import dev.wgpr.testing.lab.Topologies.Routed;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link TunnelRouting} against the kernel, in the lab's namespaces, with a TUN interface standing
 * in for the tunnel device: install, update and close, and the stale routes of a crashed run.
 */
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
class TunnelRoutingTest {
    private static final RouteTag TAG = RouteTag.forInstance("wgpr-test");
    private static final List<IpPrefix> INTERNAL =
            List.of(IpPrefix.parse("10.20.0.0/16"), IpPrefix.parse("fd10:20::/32"));
    private static final List<IpPrefix> EVERYTHING = List.of(IpPrefix.parse("0.0.0.0/0"), IpPrefix.parse("::/0"));
    private static final List<InterfaceAddress> TUNNEL_ADDRESSES =
            List.of(InterfaceAddress.parse("10.8.0.2/32"), InterfaceAddress.parse("fd10:8::2/128"));

    private static RoutingRequest request(RouteMode mode, List<IpPrefix> allowed, String... endpoints) {
        List<InetAddress> addresses = new ArrayList<>();
        for (String endpoint : endpoints) {
            addresses.add(address(endpoint));
        }
        return new RoutingRequest(TUNNEL, mode, allowed, addresses, TUNNEL_ADDRESSES, OptionalInt.of(1420));
    }

    /** The routing of instance {@code tag} in {@code ns}, as a daemon running there has it. */
    private static TunnelRouting routing(Namespace ns, RouteTag tag) {
        return new TunnelRouting(tag, () -> RouteLab.rtnl(ns));
    }

    // ---- (a) routed topology ----

    @Test
    void perPrefixAddsABypassRouteViaTheRouterAndMatchesIpRouteGetForASweep(NetnsLab lab) throws Exception {
        Routed net = Topologies.routed(lab);
        RouteLab.addTunnelStandIn(net.client());
        try (RtNetlink rtnl = RouteLab.rtnl(net.client());
                RoutedTunnel tunnel = routing(net.client(), TAG)
                        .install(request(RouteMode.PER_PREFIX, INTERNAL, Routed.SERVER_V4, Routed.SERVER_V6))) {
            for (BypassDecision decision : tunnel.bypass()) {
                assertTrue(decision.bypass(), decision.reason());
                assertTrue(decision.reason().contains("default route"), decision.reason());
            }
            assertEquals(
                    "198.51.100.10 via 192.168.10.1 dev eth0 proto 87 metric " + TAG.bypassMetric(),
                    net.client().ip("-4", "route", "show", "198.51.100.10/32").strip());
            assertServerGoesViaRouter(net.client(), rtnl);
            assertTunnelCarries(net.client(), "10.20.3.4", "fd10:20::1234");
            RouteLab.assertLookupsMatchIpRouteGet(net.client(), rtnl, sweep(net.client(), 100));
            // deciding again with the routes in place looks past them: the same host route, for the same reason
            List<BypassDecision> again = RoutingPreview.decideBypass(
                    rtnl,
                    RoutePlan.compute(RouteMode.PER_PREFIX, INTERNAL),
                    List.of(address(Routed.SERVER_V4), address(Routed.SERVER_V6)),
                    TAG);
            assertEquals(
                    tunnel.bypass().stream().map(BypassDecision::hostRoute).toList(),
                    again.stream().map(BypassDecision::hostRoute).toList());
            for (BypassDecision decision : again) {
                assertTrue(decision.reason().contains("reached through the default route"), decision.reason());
            }
        }
    }

    @Test
    void anUpdateMovesTheBypassRouteToANewGatewayAndDropsAPrefixWithoutTouchingTheRest(NetnsLab lab) throws Exception {
        Routed net = Topologies.routed(lab);
        RouteLab.addTunnelStandIn(net.client());
        String pristine = net.client().ip("-6", "route");
        {
            RoutedTunnel tunnel =
                    routing(net.client(), TAG).install(request(RouteMode.PER_PREFIX, INTERNAL, Routed.SERVER_V4));
            String routerLan = net.router()
                    .run("ip", "-o", "-4", "addr", "show", "to", Routed.GATEWAY_V4)
                    .split("\\s+")[1];
            net.router().address(routerLan, "192.168.10.254/24");
            net.client().run("ip", "route", "replace", "default", "via", "192.168.10.254");

            RoutedTunnel.Changes moved = tunnel.update(request(RouteMode.PER_PREFIX, INTERNAL, Routed.SERVER_V4));

            assertEquals(1, moved.added().size(), moved.toString());
            assertEquals(1, moved.removed().size(), moved.toString());
            assertEquals(
                    "198.51.100.10 via 192.168.10.254 dev eth0 proto 87 metric " + TAG.bypassMetric(),
                    net.client().ip("-4", "route", "show", "198.51.100.10/32").strip());
            assertTunnelCarries(net.client(), "10.20.3.4", "fd10:20::1234");

            RoutedTunnel.Changes narrower =
                    tunnel.update(request(RouteMode.PER_PREFIX, INTERNAL.subList(0, 1), Routed.SERVER_V4));

            assertEquals(List.of(), narrower.added());
            assertEquals(2, narrower.removed().size(), "fd10:20::/32 and its unreachable twin");
            assertFalse(net.client().ip("-6", "route").contains("fd10:20::/32"));
            assertTunnelCarries(net.client(), "10.20.3.4");

            tunnel.close();
            assertEquals(
                    "", net.client().ip("-4", "route", "show", "proto", "87").strip(), "nothing of ours left");
            assertEquals(pristine, net.client().ip("-6", "route"));
        }
    }

    @Test
    void diSemiDefaultAddsHalfDefaultsKeepsTheDefaultRouteAndBypassesTheServer(NetnsLab lab) throws Exception {
        Routed net = Topologies.routed(lab);
        RouteLab.addTunnelStandIn(net.client());
        String defaultBefore = net.client().ip("-4", "route", "show", "default");
        try (RtNetlink rtnl = RouteLab.rtnl(net.client());
                RoutedTunnel tunnel = routing(net.client(), TAG)
                        .install(request(RouteMode.DI_SEMI_DEFAULT, EVERYTHING, Routed.SERVER_V4, Routed.SERVER_V6))) {
            assertEquals(
                    List.of("0.0.0.0/1", "128.0.0.0/1", "0:0:0:0:0:0:0:0/1", "8000:0:0:0:0:0:0:0/1"),
                    tunnel.routed().stream().map(IpPrefix::toString).toList());
            assertTrue(tunnel.bypass().stream().allMatch(BypassDecision::bypass));
            assertEquals(defaultBefore, net.client().ip("-4", "route", "show", "default"));
            assertServerGoesViaRouter(net.client(), rtnl);
            assertTunnelCarries(net.client(), "203.0.113.20", "2001:db8:113::20", "10.20.0.1");
            assertEquals("dev eth0", routeGetDevAndVia(net.client(), "192.168.10.77"), "the LAN stays on the LAN");
            RouteLab.assertLookupsMatchIpRouteGet(net.client(), rtnl, sweep(net.client(), 100));
        }
    }

    // ---- (b) on-LAN topology ----

    @Test
    void aServerOnTheLocalNetworkGetsNoBypassRouteInEitherMode(NetnsLab lab) throws Exception {
        OnLan net = Topologies.onLan(lab);
        RouteLab.addTunnelStandIn(net.client());
        for (RouteMode mode : RouteMode.values()) {
            List<IpPrefix> allowed = mode == RouteMode.PER_PREFIX ? INTERNAL : EVERYTHING;
            try (RtNetlink rtnl = RouteLab.rtnl(net.client());
                    RoutedTunnel tunnel = routing(net.client(), TAG)
                            .install(request(mode, allowed, OnLan.SERVER_V4, OnLan.SERVER_V6))) {
                for (BypassDecision decision : tunnel.bypass()) {
                    assertFalse(decision.bypass(), mode + ": " + decision.reason());
                    assertTrue(decision.reason().contains("local network"), decision.reason());
                }
                assertEquals("", net.client().ip("route", "show", "proto", "87", "metric", "" + TAG.bypassMetric()));
                assertEquals("dev eth0", routeGetDevAndVia(net.client(), OnLan.SERVER_V4), mode.word());
                assertEquals("dev eth0", routeGetDevAndVia(net.client(), OnLan.SERVER_V6), mode.word());
                assertTunnelCarries(net.client(), "10.20.9.9");
                RouteLab.assertLookupsMatchIpRouteGet(net.client(), rtnl, sweep(net.client(), 50));
            }
        }
    }

    // ---- (c) endpoint inside allowedIPs ----

    @Test
    void anEndpointInsideAllowedIpsKeepsGoingViaTheLanGateway(NetnsLab lab) throws Exception {
        Routed net = Topologies.routed(lab);
        RouteLab.addTunnelStandIn(net.client());
        List<IpPrefix> allowed = List.of(IpPrefix.parse("198.51.100.0/24"), IpPrefix.parse("2001:db8:100::/48"));
        try (RtNetlink rtnl = RouteLab.rtnl(net.client());
                RoutedTunnel tunnel = routing(net.client(), TAG)
                        .install(request(RouteMode.PER_PREFIX, allowed, Routed.SERVER_V4, Routed.SERVER_V6))) {
            for (BypassDecision decision : tunnel.bypass()) {
                assertTrue(decision.bypass(), decision.reason());
                assertTrue(decision.reason().contains("would carry the tunnel's own packets"), decision.reason());
            }
            assertServerGoesViaRouter(net.client(), rtnl);
            assertTunnelCarries(net.client(), "198.51.100.11", "2001:db8:100::11");
            RouteLab.assertLookupsMatchIpRouteGet(net.client(), rtnl, sweep(net.client(), 50));
        }
    }

    @Test
    void anOnLanEndpointInsideAMoreSpecificAllowedPrefixGetsAHostRouteOnTheLink(NetnsLab lab) throws Exception {
        OnLan net = Topologies.onLan(lab);
        RouteLab.addTunnelStandIn(net.client());
        List<IpPrefix> allowed = List.of(IpPrefix.parse("192.168.20.0/25"));
        try (RoutedTunnel tunnel =
                routing(net.client(), TAG).install(request(RouteMode.PER_PREFIX, allowed, OnLan.SERVER_V4))) {
            BypassDecision decision = tunnel.bypass().getFirst();
            assertTrue(decision.bypass(), decision.reason());
            assertTrue(decision.reason().contains("routing loop"), decision.reason());
            assertEquals("dev eth0", routeGetDevAndVia(net.client(), OnLan.SERVER_V4));
            assertEquals("dev " + TUNNEL, routeGetDevAndVia(net.client(), "192.168.20.11"));
            assertEquals("dev eth0", routeGetDevAndVia(net.client(), "192.168.20.200"));
        }
    }

    // ---- (d) exact teardown ----

    @Test
    void teardownRestoresRoutesRulesLinksAndAddressesByteForByte(NetnsLab lab) throws Exception {
        Routed net = Topologies.routed(lab);
        // As in `up`/`down`: the tunnel device comes and goes with the tunnel (the tunnel module's part);
        // everything else wg-pr changed must be taken back by the teardown.
        Map<String, String> before = RouteLab.snapshot(net.client());
        for (RouteMode mode : RouteMode.values()) {
            List<IpPrefix> allowed = mode == RouteMode.PER_PREFIX ? INTERNAL : EVERYTHING;
            RouteLab.addTunnelStandIn(net.client());
            {
                RoutedTunnel tunnel =
                        routing(net.client(), TAG).install(request(mode, allowed, Routed.SERVER_V4, Routed.SERVER_V6));
                Map<String, String> during = RouteLab.snapshot(net.client());
                assertTrue(during.get("ip link").contains("mtu 1420"), during.get("ip link"));
                assertTrue(during.get("ip address").contains("inet 10.8.0.2/32"), during.get("ip address"));
                assertTrue(during.get("ip route").contains("proto 87"), during.get("ip route"));
                tunnel.close();
                assertEquals("", net.client().ip("route", "show", "proto", "87"), mode.word());
                assertEquals("", net.client().ip("-6", "route", "show", "proto", "87"), mode.word());
                assertEquals("", net.client().ip("-o", "address", "show", "dev", TUNNEL, "scope", "global"));
                assertTrue(net.client().ip("link", "show", TUNNEL).contains("state DOWN"), "set down again");
                tunnel.close(); // idempotent
            }
            net.client().ip("link", "del", TUNNEL);
            assertEquals(before, RouteLab.snapshot(net.client()), mode.word());
        }
    }

    // ---- (e) fail closed ----

    @Test
    void withTheTunnelDeviceGoneInternalAddressesAreUnreachableUntilTeardown(NetnsLab lab) throws Exception {
        Routed net = Topologies.routed(lab);
        RouteLab.addTunnelStandIn(net.client());
        Map<String, String> before = RouteLab.snapshot(net.client());
        try (RtNetlink rtnl = RouteLab.rtnl(net.client())) {
            RoutedTunnel tunnel = routing(net.client(), TAG)
                    .install(request(RouteMode.PER_PREFIX, INTERNAL, Routed.SERVER_V4, Routed.SERVER_V6));
            net.client().ip("link", "del", TUNNEL); // the daemon died and took the tunnel with it
            for (String internal : List.of("10.20.1.1", "fd10:20::1")) {
                RouteLab.IpRouteGet get = RouteLab.ipRouteGet(net.client(), address(internal));
                assertTrue(get.refused(), internal + ": " + get.output());
                RouteLookup ours = rtnl.lookup(address(internal));
                assertFalse(ours.reachable(), ours.toString());
                assertEquals(Libc.EHOSTUNREACH, ours.errno(), get.output() + " / " + ours);
                assertTrue(get.output().contains("No route to host"), get.output());
            }
            assertEquals(
                    "unreachable 10.20.0.0/16 proto 87 metric " + TAG.unreachableMetric(),
                    net.client().ip("-4", "route", "show", "10.20.0.0/16").strip());
            assertEquals("via 192.168.10.1 dev eth0", routeGetDevAndVia(net.client(), "203.0.113.20"));
            tunnel.close();
            Map<String, String> after = RouteLab.snapshot(net.client());
            for (String routing : List.of("ip route", "ip -6 route", "ip rule", "ip -6 rule")) {
                assertEquals(before.get(routing), after.get(routing), routing);
            }
            assertEquals("", net.client().ip("route", "show", "proto", "87"));
            assertEquals("", net.client().ip("-6", "route", "show", "proto", "87"));
        }
    }

    // ---- (f) stale routes ----

    @Test
    void staleRouteCleanupRemovesOnlyThisInstancesTaggedRoutes(NetnsLab lab) throws Exception {
        Routed net = Topologies.routed(lab);
        RouteLab.addTunnelStandIn(net.client());
        net.client().ip("route", "add", "10.99.0.0/16", "via", Routed.GATEWAY_V4); // somebody else's
        RouteTag other = RouteTag.forInstance("another-instance");
        try (RtNetlink rtnl = RouteLab.rtnl(net.client())) {
            rtnl.addRoute(Route.unreachable(IpPrefix.parse("10.20.0.0/16"))
                    .withProtocol(RouteTag.PROTOCOL)
                    .withMetric(other.unreachableMetric()));
        }
        String othersOnly = net.client().ip("route") + net.client().ip("-6", "route");
        routing(net.client(), TAG)
                .install(request(RouteMode.DI_SEMI_DEFAULT, EVERYTHING, Routed.SERVER_V4, Routed.SERVER_V6));
        // "crash": no close. A restarted daemon finds what the instance left:
        TunnelRouting restarted = routing(net.client(), TAG);
        List<Route> stale = restarted.holdStale();
        assertEquals(2 + 4 + 4, stale.size(), stale.toString()); // 2 bypass, 4 halves, 4 unreachable
        assertEquals(stale, restarted.held());
        List<Route> removed = restarted.releaseHeld();
        assertEquals(stale, removed);
        assertEquals(List.of(), restarted.held());
        assertEquals(List.of(), routing(net.client(), TAG).holdStale());
        assertEquals(1, routing(net.client(), other).holdStale().size());
        // the tunnel's addresses remain (they belong to the tunnel device, which goes with it)
        net.client().ip("address", "flush", "dev", TUNNEL);
        assertEquals(othersOnly, net.client().ip("route") + net.client().ip("-6", "route"));
    }

    @Test
    void anInstallAfterACrashTakesOverTheStaleRoutesWithoutAGapAndClosingLeavesNothing(NetnsLab lab) throws Exception {
        Routed net = Topologies.routed(lab);
        RouteLab.addTunnelStandIn(net.client());
        Map<String, String> before = RouteLab.snapshot(net.client());
        RoutingRequest request = request(RouteMode.PER_PREFIX, INTERNAL, Routed.SERVER_V4, Routed.SERVER_V6);
        routing(net.client(), TAG).install(request); // "crash": no close,
        net.client().ip("link", "del", TUNNEL); // and the tunnel device went with the daemon
        List<String> left = ourRoutes(net.client());
        RouteLab.addTunnelStandIn(net.client());
        TunnelRouting restarted = routing(net.client(), TAG);
        assertEquals(2 + 2, restarted.holdStale().size(), left.toString()); // 2 bypass, 2 unreachable

        try (RoutedTunnel tunnel = restarted.install(request)) {
            assertEquals(INTERNAL, tunnel.routed());
            assertEquals(List.of(), restarted.held(), "every stale route taken over");
            assertTrue(ourRoutes(net.client()).containsAll(left), "taken over as they were: " + left);
            assertTunnelCarries(net.client(), "10.20.3.4", "fd10:20::1234");
        }
        assertEquals(List.of(), ourRoutes(net.client()));
        Map<String, String> after = RouteLab.snapshot(net.client());
        for (String routing : List.of("ip route", "ip -6 route", "ip rule", "ip -6 rule")) {
            assertEquals(before.get(routing), after.get(routing), routing);
        }
    }

    private static List<String> ourRoutes(Namespace ns) {
        String routes = ns.ip("route", "show", "proto", "87") + ns.ip("-6", "route", "show", "proto", "87");
        return routes.lines().filter(line -> !line.isBlank()).toList();
    }

    // ---- (g) shared host routes ----

    @Test
    void twoTunnelsToOneServerShareItsHostRouteAndTheLastToCloseRemovesIt(NetnsLab lab) throws Exception {
        Routed net = Topologies.routed(lab);
        RouteLab.addTunnelStandIn(net.client());
        net.client().ip("tuntap", "add", "dev", "corp1", "mode", "tun");
        TunnelRouting routing = routing(net.client(), TAG);
        RoutedTunnel first = routing.install(request(RouteMode.PER_PREFIX, INTERNAL.subList(0, 1), Routed.SERVER_V4));
        RoutedTunnel second = routing.install(new RoutingRequest(
                "corp1",
                RouteMode.PER_PREFIX,
                List.of(IpPrefix.parse("10.30.0.0/16")),
                List.of(address(Routed.SERVER_V4)),
                List.of(InterfaceAddress.parse("10.9.0.2/32")),
                OptionalInt.empty()));
        String hostRoute = "198.51.100.10 via 192.168.10.1 dev eth0 proto 87 metric " + TAG.bypassMetric();
        assertEquals(first.hostRoutes(), second.hostRoutes());
        assertEquals(
                hostRoute,
                net.client().ip("-4", "route", "show", "198.51.100.10/32").strip());

        first.close();
        assertEquals(
                hostRoute,
                net.client().ip("-4", "route", "show", "198.51.100.10/32").strip(),
                "still held");
        assertEquals("dev corp1", routeGetDevAndVia(net.client(), "10.30.1.1"));

        second.close();
        assertEquals("", net.client().ip("-4", "route", "show", "proto", "87").strip(), "nothing of ours left");
    }

    // ---- (h) all or nothing ----

    @Test
    void aFailureHalfwayTakesBackEverythingAddedBeforeIt(NetnsLab lab) throws Exception {
        Routed net = Topologies.routed(lab);
        RouteLab.addTunnelStandIn(net.client());
        net.client().up(TUNNEL); // so the change list starts with MTU, 2 addresses, 2 bypass routes
        // somebody else's route where the fail-closed twin of 10.20.0.0/16 goes: the kernel refuses ours
        net.client().ip("route", "add", "unreachable", "10.20.0.0/16", "metric", "" + TAG.unreachableMetric());
        Map<String, String> before = RouteLab.snapshot(net.client());
        RoutingRequest request = request(RouteMode.PER_PREFIX, INTERNAL, Routed.SERVER_V4, Routed.SERVER_V6);
        try (RtNetlink rtnl = RouteLab.rtnl(net.client())) {
            List<Change> changes = RoutingPreview.of(rtnl, request, TAG).changes();
            assertEquals(5 + 4, changes.size(), changes.toString());
        }
        TunnelRouting routing = routing(net.client(), TAG);
        ErrnoException failure = assertThrows(ErrnoException.class, () -> routing.install(request));
        assertEquals(Libc.EEXIST, failure.errno(), failure.getMessage());
        assertTrue(failure.getMessage().contains("10.20.0.0/16"), failure.getMessage());
        assertEquals(
                0,
                failure.getSuppressed().length,
                List.of(failure.getSuppressed()).toString());
        assertEquals(before, RouteLab.snapshot(net.client()));
    }

    // ---- helpers ----

    private static void assertServerGoesViaRouter(Namespace client, RtNetlink rtnl) throws Exception {
        assertEquals("via " + Routed.GATEWAY_V4 + " dev eth0", routeGetDevAndVia(client, Routed.SERVER_V4));
        assertEquals("via " + Routed.GATEWAY_V6 + " dev eth0", routeGetDevAndVia(client, Routed.SERVER_V6));
        RouteLookup lookup = rtnl.lookup(address(Routed.SERVER_V4));
        assertEquals(address(Routed.GATEWAY_V4), lookup.gateway().orElseThrow());
        assertEquals(32, lookup.matchedPrefixLength(), lookup.toString());
        assertEquals(RouteTag.PROTOCOL, lookup.matched().orElseThrow().protocol());
    }

    private static void assertTunnelCarries(Namespace client, String... addresses) {
        for (String a : addresses) {
            assertEquals("dev " + TUNNEL, routeGetDevAndVia(client, a), a);
        }
    }

    private static String routeGetDevAndVia(Namespace ns, String address) {
        RouteLab.IpRouteGet get = RouteLab.ipRouteGet(ns, address(address));
        if (get.refused()) {
            return "refused: " + get.output();
        }
        return (get.via() == null ? "" : "via " + get.via() + " ") + "dev " + get.dev();
    }

    /**
     * About {@code count} addresses: random ones inside and outside the internal prefixes (both
     * families), the servers, LAN neighbours, gateways, loopback and the tunnel's own addresses.
     */
    private static List<InetAddress> sweep(Namespace ns, int count) throws Exception {
        Random random = new Random(4); // fixed so that a failure can be replayed
        List<InetAddress> addresses = new ArrayList<>();
        for (String fixed : List.of(
                Routed.SERVER_V4,
                Routed.SERVER_V6,
                Routed.GATEWAY_V4,
                Routed.GATEWAY_V6,
                OnLan.SERVER_V4,
                OnLan.SERVER_V6,
                OnLan.GATEWAY_V4,
                OnLan.GATEWAY_V6,
                "192.168.10.77",
                "192.168.20.200",
                "127.0.0.1",
                "::1",
                "10.8.0.2",
                "fd10:8::2",
                "203.0.113.20",
                "2001:db8:113::20",
                "0.0.0.1",
                "255.255.255.254")) {
            addresses.add(address(fixed));
        }
        while (addresses.size() < count) {
            byte[] v4 = new byte[4];
            random.nextBytes(v4);
            byte[] v6 = new byte[16];
            random.nextBytes(v6);
            switch (random.nextInt(4)) {
                case 0 -> { // inside 10.20.0.0/16
                    v4[0] = 10;
                    v4[1] = 20;
                }
                case 1 -> { // inside fd10:20::/32
                    v6[0] = (byte) 0xfd;
                    v6[1] = 0x10;
                    v6[2] = 0;
                    v6[3] = 0x20;
                }
                default -> {}
            }
            if (v4[0] == 0 || (v4[0] & 0xf0) == 0xe0 || (v4[0] & 0xff) >= 240) {
                v4[0] = 11; // keep clear of 0/8, multicast and class E: ip route get refuses those differently
            }
            if ((v6[0] & 0xff) == 0xff) {
                v6[0] = 0x20; // no multicast
            }
            addresses.add(InetAddress.getByAddress(v4));
            addresses.add(InetAddress.getByAddress(v6));
        }
        return addresses;
    }
}
