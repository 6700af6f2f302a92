package dev.wgpr.routes.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.lab.Namespace;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import dev.wgpr.testing.lab.Topologies;
import dev.wgpr.testing.lab.Topologies.Routed;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Link, address and route changes through libmnl, each checked with iproute2 in a lab namespace. */
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
class RtNetlinkChangesTest {
    private static final String TUN = "tun7";

    private static RtNetlink open(Namespace ns) {
        return ns.call(RtNetlink::open);
    }

    private static int tun(Namespace ns, RtNetlink rtnl) throws ErrnoException {
        ns.ip("tuntap", "add", "dev", TUN, "mode", "tun");
        return rtnl.link(TUN).orElseThrow().index();
    }

    @Test
    void mtuAndLinkStateChangesShowInIpLink(NetnsLab lab) throws Exception {
        Namespace ns = lab.namespace("client");
        try (RtNetlink rtnl = open(ns)) {
            int index = tun(ns, rtnl);
            rtnl.setMtu(index, 1380);
            rtnl.setUp(index, true);
            String shown = ns.ip("link", "show", TUN);
            assertTrue(shown.contains("mtu 1380") && shown.contains(",UP"), shown);
            assertTrue(rtnl.link(TUN).orElseThrow().isUp());
            rtnl.setUp(index, false);
            assertFalse(rtnl.link(TUN).orElseThrow().isUp());
            ErrnoException missing = assertThrows(ErrnoException.class, () -> rtnl.setMtu(9999, 1400));
            assertEquals(Libc.ENODEV, missing.errno());
            assertTrue(missing.getMessage().contains("set MTU 1400 on interface #9999"), missing.getMessage());
        }
    }

    @Test
    void addressesAreAddedWithNodadForIpv6AndRemoved(NetnsLab lab) throws Exception {
        Namespace ns = lab.namespace("client");
        try (RtNetlink rtnl = open(ns)) {
            int index = tun(ns, rtnl);
            rtnl.addAddress(index, InterfaceAddress.parse("10.8.0.2/24"), true);
            rtnl.addAddress(index, InterfaceAddress.parse("fd10:8::2/64"), true);
            String shown = ns.ip("-o", "address", "show", "dev", TUN);
            assertTrue(shown.contains("inet 10.8.0.2/24"), shown);
            assertTrue(shown.contains("inet6 fd10:8::2/64 scope global nodad"), shown);
            ErrnoException twice = assertThrows(
                    ErrnoException.class, () -> rtnl.addAddress(index, InterfaceAddress.parse("10.8.0.2/24"), false));
            assertEquals(Libc.EEXIST, twice.errno());
            rtnl.removeAddress(index, InterfaceAddress.parse("10.8.0.2/24"));
            rtnl.removeAddress(index, InterfaceAddress.parse("fd10:8::2/64"));
            assertEquals("", ns.ip("-o", "address", "show", "dev", TUN, "scope", "global"));
            ErrnoException gone = assertThrows(
                    ErrnoException.class, () -> rtnl.removeAddress(index, InterfaceAddress.parse("10.8.0.2/24")));
            assertEquals(Libc.EADDRNOTAVAIL, gone.errno());
        }
    }

    @Test
    void routesAddedShowInIpRouteAndInOurDumpAndGoAway(NetnsLab lab) throws Exception {
        Routed net = Topologies.routed(lab);
        try (RtNetlink rtnl = open(net.client())) {
            int eth0 = rtnl.link("eth0").orElseThrow().index();
            Route via = Route.unicast(IpPrefix.parse("10.40.0.0/16"), eth0)
                    .withGateway(IpPrefix.parseAddress(Routed.GATEWAY_V4))
                    .withProtocol(87)
                    .withMetric(123);
            Route unreachable6 = Route.unreachable(IpPrefix.parse("fd10:40::/32"))
                    .withProtocol(87)
                    .withMetric(124);
            rtnl.addRoute(via);
            rtnl.addRoute(unreachable6);
            assertEquals(
                    "10.40.0.0/16 via 192.168.10.1 dev eth0 proto 87 metric 123",
                    net.client().ip("-4", "route", "show", "10.40.0.0/16").strip());
            assertTrue(
                    net.client()
                            .ip("-6", "route", "show", "fd10:40::/32")
                            .startsWith("unreachable fd10:40::/32 dev lo proto 87 metric 124"),
                    net.client().ip("-6", "route", "show", "fd10:40::/32"));
            List<Route> dumped = rtnl.mainRoutes();
            assertTrue(dumped.contains(via), dumped.toString());
            Route dumped6 = dumped.stream()
                    .filter(r -> r.destination().equals(unreachable6.destination()))
                    .findFirst()
                    .orElseThrow();
            assertEquals(RouteType.UNREACHABLE, dumped6.type());
            assertEquals(124, dumped6.metric());
            assertEquals(
                    net.client().ip("route").lines().count()
                            + net.client().ip("-6", "route").lines().count(),
                    dumped.size(),
                    "one route per line of ip route / ip -6 route");
            ErrnoException twice = assertThrows(ErrnoException.class, () -> rtnl.addRoute(via));
            assertEquals(Libc.EEXIST, twice.errno());
            rtnl.removeRoute(via);
            rtnl.removeRoute(unreachable6);
            assertEquals("", net.client().ip("route", "show", "proto", "87"));
            assertEquals("", net.client().ip("-6", "route", "show", "proto", "87"));
            ErrnoException gone = assertThrows(ErrnoException.class, () -> rtnl.removeRoute(via));
            assertEquals(Libc.ESRCH, gone.errno(), gone.getMessage());
        }
    }

    @Test
    void lookupNamesTheMatchedFibEntryLikeIpRouteGetFibmatch(NetnsLab lab) throws Exception {
        Routed net = Topologies.routed(lab);
        try (RtNetlink rtnl = open(net.client())) {
            RouteLookup viaDefault = rtnl.lookup(IpPrefix.parseAddress(Routed.SERVER_V4));
            assertEquals(0, viaDefault.matchedPrefixLength());
            assertEquals(Optional.of(IpPrefix.parseAddress(Routed.GATEWAY_V4)), viaDefault.gateway());
            assertEquals(Optional.of(IpPrefix.parseAddress(Routed.CLIENT_V4)), viaDefault.preferredSource());
            assertEquals(Route.MAIN_TABLE, viaDefault.table());
            RouteLookup onLink = rtnl.lookup(IpPrefix.parseAddress("192.168.10.99"));
            assertEquals(24, onLink.matchedPrefixLength());
            assertEquals(Optional.empty(), onLink.gateway());
            assertEquals(
                    net.client().ip("route", "get", "fibmatch", "192.168.10.99").strip(),
                    "192.168.10.0/24 dev eth0 proto kernel scope link src 192.168.10.2");
            assertEquals(Route.PROTOCOL_KERNEL, onLink.matched().orElseThrow().protocol());
            RouteLookup local = rtnl.lookup(IpPrefix.parseAddress("127.0.0.1"));
            assertEquals(RouteType.LOCAL, local.type());
            RouteLookup v6 = rtnl.lookup(IpPrefix.parseAddress(Routed.SERVER_V6));
            assertEquals(0, v6.matchedPrefixLength());
            assertEquals(Optional.of(IpPrefix.parseAddress(Routed.GATEWAY_V6)), v6.gateway());
            net.client().ip("route", "del", "default");
            RouteLookup none = rtnl.lookup(IpPrefix.parseAddress(Routed.SERVER_V4));
            assertEquals(Libc.ENETUNREACH, none.errno());
            assertFalse(none.reachable());
        }
    }
}
