package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.control.Json;
import dev.wgpr.client.daemon.DaemonTesting.Result;
import dev.wgpr.client.daemon.TunnelLab.Attempt;
import dev.wgpr.client.daemon.TunnelLab.Side;
import dev.wgpr.client.daemon.TunnelLab.Who;
import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.RequiresRoot;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two tunnels up at once in one daemon: tunnel A (10.8.0.2 to wireguard-go on port
 * 51820) routes 10.20.0.0/16, tunnel B (10.9.0.2 to a second wireguard-go on port 51821) routes the
 * more specific 10.20.5.0/24. The app "probe" is named in both: A grants it 10.20.0.0/16 tcp/8080, B
 * only 10.20.5.10 tcp/8080. Longest match decides, for routing and for the policy alike.
 */
@RequiresRoot
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
class SeveralTunnelsTest {
    private static final String IN_A = "10.20.1.10";
    private static final String IN_B = "10.20.5.10";
    private static final String IN_B_NOT_GRANTED_BY_B = "10.20.5.11";

    private TunnelLab net;

    @AfterEach
    void cleanUp() throws Exception {
        if (net != null) {
            net.close();
        }
    }

    @Test
    void overlappingTunnelsRouteAndJudgeByLongestMatchAndDownOfEitherLeavesTheOtherWorking(NetnsLab lab)
            throws Exception {
        net = TunnelLab.routed(lab);
        Side b = net.anotherServer(51821, "10.9.0.1", "10.9.0.2");
        net.serverNs.address("lo", IN_A + "/32", IN_B + "/32", IN_B_NOT_GRANTED_BY_B + "/32");
        for (String service : List.of(IN_A, IN_B, IN_B_NOT_GRANTED_BY_B)) {
            net.listen(net.serverNs, service);
        }
        String a = net.iface;
        String before = net.snapshot();
        Path configA = net.config("per-prefix", "\"10.8.0.1/32\", \"10.20.0.0/16\"", "\"10.20.0.0/16 tcp/8080\"");
        Path configB = net.config(b, "per-prefix", "\"10.9.0.1/32\", \"10.20.5.0/24\"", "\"10.20.5.10/32 tcp/8080\"");

        // B first: A's routes then go in next to B's more specific one.
        up(configB);
        up(configA);
        assertBothJudgedByLongestMatch(a, b.iface());
        String events = net.awaitEvents(
                "\"destination\":\"" + IN_B_NOT_GRANTED_BY_B + "\"", "\"destination\":\"" + IN_A + "\"");
        assertTrue(eventLine(events, IN_B_NOT_GRANTED_BY_B).contains("\"peer\":\"" + b.iface() + "/gw\""), events);
        assertTrue(eventLine(events, IN_B_NOT_GRANTED_BY_B).contains("\"app\":\"probe\""), events);
        assertTrue(eventLine(events, IN_A).contains("\"peer\":\"" + a + "/gw\""), events);
        assertStatusLists(List.of(b.iface(), a));
        Path appCgroup = net.instance.cgroupSubtree(DaemonTesting.cgroup2()).resolve("probe");

        // Down of B: A is untouched, and 10.20.5.0/24 now goes through A and is judged by A's grants.
        String aBefore = tunnelState(a);
        down(b.iface());
        assertEquals(aBefore, tunnelState(a), "A's link and routes are as they were");
        assertTrue(Files.isDirectory(appCgroup), "the app's cgroup stays: A still names the app");
        assertTrue(net.client.routeGet(IN_B).contains("dev " + a), net.client.routeGet(IN_B));
        assertReaches(a, IN_A, "10.8.0.2");
        assertReaches(a, IN_B_NOT_GRANTED_BY_B, "10.8.0.2");
        assertDeniedToOthers(IN_A);
        assertDeniedToOthers(IN_B_NOT_GRANTED_BY_B);
        assertStatusLists(List.of(a));

        // B again, then down of A: B is untouched and still judged by its own grants.
        up(configB);
        assertBothJudgedByLongestMatch(a, b.iface());
        String bBefore = tunnelState(b.iface());
        down(a);
        assertEquals(bBefore, tunnelState(b.iface()), "B's link and routes are as they were");
        assertTrue(Files.isDirectory(appCgroup), "the app's cgroup stays: B still names the app");
        assertReaches(b.iface(), IN_B, "10.9.0.2");
        Attempt notGranted = net.connectAsAppOf(b.iface(), IN_B_NOT_GRANTED_BY_B);
        assertTrue(notGranted.denied(), "B grants the app only " + IN_B + ": " + notGranted);
        assertDeniedToOthers(IN_B);
        assertStatusLists(List.of(b.iface()));

        down(b.iface());
        assertEquals(before, net.snapshot(), "routes, rules and links are as before the first up");
        assertEquals(List.of(), net.leftovers(), "no pins, no cgroups");
    }

    /** Both up: 10.20.5.x goes through B under B's grants, the rest of 10.20.0.0/16 through A under A's. */
    private void assertBothJudgedByLongestMatch(String a, String b) throws Exception {
        assertTrue(net.client.routeGet(IN_A).contains("dev " + a), net.client.routeGet(IN_A));
        assertTrue(net.client.routeGet(IN_B).contains("dev " + b), net.client.routeGet(IN_B));
        assertReaches(a, IN_A, "10.8.0.2");
        assertReaches(a, IN_B, "10.9.0.2");
        Attempt notGranted = net.connectAsAppOf(a, IN_B_NOT_GRANTED_BY_B);
        assertTrue(notGranted.denied(), "routed through B, judged by B's grants, not A's wider one: " + notGranted);
        assertDeniedToOthers(IN_A);
        assertDeniedToOthers(IN_B);
    }

    /** The app (as {@code tunnel} names it) reaches {@code service}, arriving from {@code source}. */
    private void assertReaches(String tunnel, String service, String source) throws Exception {
        Attempt attempt = net.connectAsAppOf(tunnel, service);
        assertTrue(attempt.connected(), "the app reaches " + service + ": " + attempt);
        List<String> callers = net.callersOf(service);
        assertEquals(source, callers.getLast(), service + " was reached through the tunnel of " + source);
    }

    private void assertDeniedToOthers(String service) throws Exception {
        Attempt nobody = net.connect(Who.NOBODY, service);
        assertTrue(nobody.denied(), "a process outside the app is denied " + service + ": " + nobody);
    }

    private void assertStatusLists(List<String> tunnels) throws Exception {
        Result json = net.cli().run("status", "--json");
        assertEquals(0, json.exitCode(), json::toString);
        List<?> listed = (List<?>) Json.parseObject(json.out()).get("tunnels");
        assertEquals(
                tunnels, listed.stream().map(t -> ((Map<?, ?>) t).get("name")).toList(), json::toString);
        Result text = net.cli().run("status");
        assertEquals(0, text.exitCode(), text::toString);
        for (String tunnel : tunnels) {
            assertTrue(text.out().contains(tunnel), "status names " + tunnel + ":\n" + text.out());
        }
    }

    /** The link and the routes of {@code tunnel} in the client namespace. */
    private String tunnelState(String tunnel) {
        return String.join(
                "\n",
                net.client.ip("link", "show", tunnel),
                net.client.ip("route", "show", "dev", tunnel),
                net.client.ip("-6", "route", "show", "dev", tunnel));
    }

    private void up(Path config) throws Exception {
        Result up = net.up(config);
        assertEquals(0, up.exitCode(), up::toString);
    }

    private void down(String tunnel) throws Exception {
        Result down = net.cli().run("down", tunnel);
        assertEquals(0, down.exitCode(), down::toString);
    }

    private static String eventLine(String events, String destination) {
        return events.lines()
                .filter(line -> line.contains("\"destination\":\"" + destination + "\""))
                .reduce((first, second) -> second)
                .orElseThrow();
    }
}
