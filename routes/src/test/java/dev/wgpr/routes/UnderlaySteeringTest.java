package dev.wgpr.routes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.routes.netlink.RtNetlink;
import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.lab.LabException;
import dev.wgpr.testing.lab.Namespace;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The underlay steering in a namespace with a full tunnel's two halves (proto wg-pr) beside the host's
 * default routes: marked lookups leave through the underlay gateway, unmarked ones through the tunnel,
 * and removing it restores rules and routes exactly.
 */
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
class UnderlaySteeringTest {
    private static final int MARK = 0x7767_1234;

    @Test
    void markedLookupsTakeTheHostsRoutesAndUnmarkedOnesTheTunnelUntilRemoved(NetnsLab lab) throws Exception {
        Namespace client = lab.namespace("client");
        Namespace gateway = lab.namespace("gw");
        String underlay = lab.veth(client, gateway).a().name();
        client.address(underlay, "192.0.2.2/24", "2001:db8:2::2/64");
        client.defaultRoute("192.0.2.1").defaultRoute("2001:db8:2::1");
        RouteLab.addTunnelStandIn(client);
        client.up(RouteLab.TUNNEL);
        for (String half : List.of("0.0.0.0/1", "128.0.0.0/1")) {
            client.ip("route", "add", half, "dev", RouteLab.TUNNEL, "proto", "87", "metric", "1000");
        }
        for (String half : List.of("::/1", "8000::/1")) {
            client.ip("-6", "route", "add", half, "dev", RouteLab.TUNNEL, "proto", "87", "metric", "1000");
        }
        Map<String, String> before = RouteLab.snapshot(client);
        UnderlaySteering steering = UnderlaySteering.forMark(MARK);
        try (RtNetlink rt = RouteLab.rtnl(client)) {
            List<String> skipped = steering.install(rt);
            assertEquals(List.of(), skipped);
            assertTrue(steering.inForce(rt));
            String mark = "0x" + Integer.toHexString(MARK);

            assertRoute(client, "-4", "203.0.113.9", mark, "via 192.0.2.1 dev " + underlay);
            assertRoute(client, "-4", "203.0.113.9", "0", "dev " + RouteLab.TUNNEL);
            assertRoute(client, "-6", "2001:db8:ff::9", mark, "via 2001:db8:2::1 dev " + underlay);
            assertRoute(client, "-6", "2001:db8:ff::9", "0", "dev " + RouteLab.TUNNEL);
            assertFalse(
                    client.ip("route", "show", "table", Integer.toUnsignedString(steering.table()))
                            .contains(RouteLab.TUNNEL),
                    "no tunnel route in the mirror");

            steering.remove(rt);
            assertFalse(steering.inForce(rt));
            assertEquals(before, RouteLab.snapshot(client), "rules and routes exactly as before");
            assertEquals(
                    "",
                    client.ip("route", "show", "table", Integer.toUnsignedString(steering.table()))
                            .strip());
        }
    }

    @Test
    void followBringsTheMirrorToMainAsItIsNowAndLeavesTheTunnelsOut(NetnsLab lab) throws Exception {
        Namespace client = lab.namespace("client");
        Namespace gateway = lab.namespace("gw");
        String underlay = lab.veth(client, gateway).a().name();
        client.address(underlay, "192.0.2.2/24");
        client.defaultRoute("192.0.2.1");
        RouteLab.addTunnelStandIn(client);
        client.up(RouteLab.TUNNEL);
        RouteTag tag = RouteTag.forInstance("wg-pr-steering-test");
        client.ip(
                "route",
                "add",
                "0.0.0.0/1",
                "dev",
                RouteLab.TUNNEL,
                "proto",
                "87",
                "metric",
                Integer.toUnsignedString(tag.tunnelMetric()));
        // the server's bypass route: wg-pr's, yet on the underlay, which stays the underlay
        client.ip(
                "route",
                "add",
                "198.51.100.10/32",
                "via",
                "192.0.2.1",
                "proto",
                "87",
                "metric",
                Integer.toUnsignedString(tag.bypassMetric()));
        // what the kernel adds for a tunnel address's network: on the tunnel, though not wg-pr's
        client.ip("route", "add", "10.8.0.0/24", "dev", RouteLab.TUNNEL, "proto", "kernel");
        UnderlaySteering steering = UnderlaySteering.forMark(MARK);
        String table = Integer.toUnsignedString(steering.table());
        try (RtNetlink rt = RouteLab.rtnl(client)) {
            steering.install(rt);
            String mirror = client.ip("route", "show", "table", table);
            assertFalse(mirror.contains("10.8.0.0/24"), "the tunnel's own: " + mirror);
            assertTrue(mirror.contains("default via 192.0.2.1 dev " + underlay), mirror);
            assertEquals(List.of(), steering.follow(rt), "nothing changed, nothing to follow");

            client.ip("route", "add", "198.51.100.0/24", "via", "192.0.2.1", "metric", "7");
            List<String> added = steering.follow(rt);
            assertEquals(1, added.size(), added.toString());
            assertTrue(added.getFirst().startsWith("underlay mirror: added 198.51.100.0/24"), added.toString());
            assertRoute(
                    client, "-4", "198.51.100.9", "0x" + Integer.toHexString(MARK), "via 192.0.2.1 dev " + underlay);

            client.ip("route", "del", "default");
            List<String> removed = steering.follow(rt);
            assertEquals(1, removed.size(), removed.toString());
            assertTrue(
                    removed.getFirst().startsWith("underlay mirror: removed default via 192.0.2.1"),
                    removed.toString());
            LabException unreachable = assertThrows(
                    LabException.class,
                    () -> client.ip("route", "get", "203.0.113.9", "mark", "0x" + Integer.toHexString(MARK)));
            assertTrue(unreachable.getMessage().contains("No route to host"), "the mirror's end: " + unreachable);

            steering.remove(rt);
            assertEquals(List.of(), steering.follow(rt), "no steering, nothing to follow");
            assertEquals("", client.ip("route", "show", "table", table).strip());
        }
    }

    /** {@code ip route get ADDRESS mark MARK}, as the kernel answers it, says {@code expected}. */
    private static void assertRoute(Namespace ns, String family, String address, String mark, String expected) {
        String route = ns.ip(family, "route", "get", address, "mark", mark);
        assertTrue(route.contains(expected), "mark " + mark + ": " + route);
    }
}
