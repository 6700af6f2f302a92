package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.cli.JsonSchemaSubset;
import dev.wgpr.client.control.Json;
import dev.wgpr.client.daemon.DaemonTesting.Result;
import dev.wgpr.client.daemon.TunnelLab.Attempt;
import dev.wgpr.client.daemon.TunnelLab.Who;
import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.RequiresRoot;
import dev.wgpr.testing.lab.LabProcess;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code wg-pr up} for real: the daemon in a lab's client namespace, wireguard-go as the server,
 * real routes, real BPF enforcement at the cgroup2 root judging only the client namespace.
 */
@RequiresRoot
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
class EndToEndTest {
    private static final String ALLOWED = TunnelLab.ALLOWED_IPS;
    private static final String BYPASS = "198.51.100.10 via 192.168.10.1";

    private TunnelLab net;

    @AfterEach
    void cleanUp() throws Exception {
        if (net != null) {
            net.close();
        }
    }

    @Test
    void perPrefixOnlyTheAppReachesInternalServicesEveryoneKeepsTheInternetAndDownRestoresEverything(NetnsLab lab)
            throws Exception {
        net = TunnelLab.routed(lab);
        String before = net.snapshot();

        Result up = net.up(net.config("per-prefix", ALLOWED, null));
        assertEquals(0, up.exitCode(), up::toString);

        assertTrue(net.client.ip("route").contains(BYPASS), "bypass host route:\n" + net.client.ip("route"));
        assertTrue(net.connect(Who.APP, TunnelLab.INTERNAL_V4).connected(), "the app reaches the service (v4)");
        assertTrue(net.connect(Who.APP, TunnelLab.INTERNAL_V6).connected(), "the app reaches the service (v6)");
        Attempt nobody = net.connect(Who.NOBODY, TunnelLab.INTERNAL_V4);
        assertTrue(nobody.denied(), "nobody is denied: " + nobody);
        Attempt root = net.connect(Who.ROOT, TunnelLab.INTERNAL_V4);
        assertTrue(root.denied(), "root outside any app is denied: " + root);
        assertTrue(net.connect(Who.ROOT, TunnelLab.INTERNAL_V6).denied(), "and over IPv6");
        assertTrue(net.connect(Who.NOBODY, TunnelLab.INTERNET_V4).connected(), "nobody keeps the Internet");
        assertTrue(net.connect(Who.ROOT, TunnelLab.INTERNET_V4).connected(), "root keeps the Internet");

        String events = net.awaitEvents("\"uid\":65534", "\"uid\":0");
        Process follow = net.cli().start("events", "--follow", "--json");
        try {
            DaemonTesting.awaitOutput(follow, "\"uid\":65534", Duration.ofSeconds(10)); // the log so far
            assertTrue(net.connect(Who.NOBODY, "10.20.7.7").denied());
            DaemonTesting.awaitOutput(follow, "\"destination\":\"10.20.7.7\"", Duration.ofSeconds(10));
        } finally {
            follow.destroy();
            follow.waitFor();
        }
        assertTrue(events.contains("\"destination\":\"10.20.0.10\",\"port\":8080,\"protocol\":\"tcp\""), events);
        assertTrue(events.contains("\"peer\":\"" + net.iface + "/gw\""), events);

        Result status = net.cli().run("status", "--json");
        assertTrue(status.out().contains("\"latestHandshake\":\"20"), "a handshake happened: " + status);
        assertTrue(status.out().contains("reached through the default route"), "bypass reason: " + status);
        assertTrue(status.out().contains("\"denyNoApp\":"), "deny counters: " + status);
        assertEquals(List.of(), JsonSchemaSubset.ofStatus().errors(Json.parse(status.out())), "the documented schema");
        assertTrue(events.matches("(?s).*\"reasonCode\":\"[a-z-]+\".*"), "a code beside the reason: " + events);
        assertTrue(net.client.run("wg", "show", net.iface).contains("latest handshake"), "wg show works");

        net.down();
        assertEquals(before, net.snapshot(), "routes, rules and links are as before up");
        assertEquals(List.of(), net.leftovers(), "no pins, no cgroups");
    }

    @Test
    void diSemiDefaultThroughARouterKeepsTheLanAndDeniesTheRestToOthers(NetnsLab lab) throws Exception {
        net = TunnelLab.routed(lab);
        net.listen(net.router, "192.168.10.1");
        String before = net.snapshot();

        Result up = net.up(net.config("di-semi-default", "\"0.0.0.0/0\", \"fd10:8::1/128\", \"fd10:20::/32\"", null));
        assertEquals(0, up.exitCode(), up::toString);

        String routes = net.client.ip("route");
        assertTrue(
                routes.contains("0.0.0.0/1 dev " + net.iface) && routes.contains("128.0.0.0/1 dev " + net.iface),
                routes);
        assertTrue(routes.contains(BYPASS), routes);
        assertTrue(
                routes.contains("default via 192.168.10.1 dev eth0 \n"), "the default route is untouched: " + routes);
        assertTrue(net.connect(Who.APP, TunnelLab.INTERNAL_V4).connected(), "the app reaches the service");
        assertTrue(net.connect(Who.NOBODY, TunnelLab.INTERNAL_V4).denied());
        assertTrue(net.connect(Who.ROOT, TunnelLab.INTERNAL_V4).denied());
        // Under 0.0.0.0/1 + 128.0.0.0/1 the Internet host is routed into the tunnel: internal, too.
        assertTrue(net.connect(Who.NOBODY, TunnelLab.INTERNET_V4).denied());
        // The LAN is a more specific route: not internal.
        assertTrue(net.connect(Who.NOBODY, "192.168.10.1").connected(), "nobody reaches the LAN");

        net.down();
        assertEquals(before, net.snapshot());
        assertEquals(List.of(), net.leftovers());
    }

    @Test
    void aServerOnTheLanGetsNoBypassRouteTheTunnelWorksWithDiSemiDefaultAndSigtermTakesItDown(NetnsLab lab)
            throws Exception {
        net = TunnelLab.onLan(lab);
        net.listen(net.serverNs, "192.168.20.10");
        String before = net.snapshot();

        Result up = net.up(net.config("di-semi-default", "\"0.0.0.0/0\"", null));
        assertEquals(0, up.exitCode(), up::toString);

        String routes = net.client.ip("route");
        assertFalse(routes.contains("192.168.20.10"), "no bypass route for an on-link server: " + routes);
        Result status = net.cli().run("status", "--json");
        assertTrue(status.out().contains("\"hostRoute\":null"), status::toString);
        assertTrue(net.connect(Who.APP, TunnelLab.INTERNAL_V4).connected(), "the app reaches the service");
        assertTrue(net.connect(Who.NOBODY, TunnelLab.INTERNAL_V4).denied());
        assertTrue(net.connect(Who.NOBODY, "192.168.20.10").connected(), "the server's LAN address is not internal");

        // SIGTERM (systemctl stop) with the tunnel up is an orderly down too.
        ProcessHandle daemon =
                ProcessHandle.of(DaemonTesting.daemonPid(net.instance)).orElseThrow();
        daemon.destroy();
        daemon.onExit().get(20, TimeUnit.SECONDS);
        assertEquals(before, net.snapshot());
        assertEquals(List.of(), net.leftovers(), "no pins, no cgroups");
        assertFalse(Files.exists(net.instance.runtimeDirectory()), "runtime files removed");
    }

    @Test
    void anEndpointInsideAllowedIpsIsKeptOnTheUnderlay(NetnsLab lab) throws Exception {
        net = TunnelLab.routed(lab);
        String before = net.snapshot();

        Result up = net.up(net.config("per-prefix", ALLOWED + ", \"198.51.100.0/24\"", null));
        assertEquals(0, up.exitCode(), up::toString);

        assertTrue(net.client.ip("route").contains(BYPASS), net.client.ip("route"));
        assertTrue(
                net.client.routeGet("198.51.100.10").contains("via 192.168.10.1"), "the server stays on the underlay");
        assertTrue(net.client.routeGet("198.51.100.20").contains("dev " + net.iface), "its neighbours are internal");
        assertTrue(net.connect(Who.APP, TunnelLab.INTERNAL_V4).connected(), "no routing loop: the tunnel works");
        Result status = net.cli().run("status", "--json");
        assertTrue(status.out().contains("\"exclusions\":[\"198.51.100.10/32\""), status::toString);

        net.down();
        assertEquals(before, net.snapshot());
    }

    /** A daemon that ends without taking its tunnels down: killed, or handed over (a package upgrade). */
    @ParameterizedTest
    @ValueSource(strings = {"kill -9", "daemon stop --hand-over"})
    void afterKill9OrAHandOverNothingLeavesForInternalPrefixesAndTheNextUpCleansUp(String end, NetnsLab lab)
            throws Exception {
        net = TunnelLab.routed(lab);
        String before = net.snapshot();
        Path config = net.config("per-prefix", ALLOWED, null);
        assertEquals(0, net.up(config).exitCode());
        assertTrue(net.connect(Who.APP, TunnelLab.INTERNAL_V4).connected());
        Path capture = lab.scratchDir().resolve("lan.pcap");
        LabProcess tcpdump = net.captureLan(capture, "net 10.20.0.0/16 or net 10.8.0.0/24");

        long pid = DaemonTesting.daemonPid(net.instance);
        ProcessHandle daemon = ProcessHandle.of(pid).orElseThrow();
        if (end.equals("kill -9")) {
            net.client.run("kill", "-9", Long.toString(pid));
        } else {
            Result stop = net.cli().run("daemon", "stop", "--hand-over");
            assertEquals(0, stop.exitCode(), stop::toString);
            assertTrue(
                    stop.out().contains("(pid " + pid + ") has exited; its tunnels' enforcement stays in force"),
                    stop::toString);
        }
        daemon.onExit().get(20, TimeUnit.SECONDS);
        awaitLinkGone();

        // Outside the app: still denied by the pinned programs.
        assertTrue(net.connect(Who.ROOT, TunnelLab.INTERNAL_V4).denied(), "pinned enforcement outlives the daemon");
        // Inside the app's cgroup: allowed, but the unreachable routes stop it at once.
        Path procs = net.instance.cgroupSubtree(DaemonTesting.cgroup2()).resolve("probe/cgroup.procs");
        for (int i = 0; i < 5; i++) {
            Attempt inApp = net.inClient(List.of(
                    "timeout",
                    "10",
                    "/bin/bash",
                    "-c",
                    "echo $$ > " + procs + " && exec 3<>/dev/tcp/" + TunnelLab.INTERNAL_V4 + "/8080"));
            assertTrue(inApp.exit() != 0 && inApp.err().contains("No route to host"), inApp.toString());
            assertFalse(net.client.ping(TunnelLab.INTERNAL_V4), "ping fails too");
        }
        assertTrue(net.client.ping("192.168.10.1"), "the LAN itself still works");
        tcpdump.stop();
        assertEquals("", net.captured(capture), "nothing for an internal prefix left through the LAN");

        Result up = net.up(config);
        assertEquals(0, up.exitCode(), up::toString);
        Result status = net.cli().run("status", "--json");
        assertTrue(status.out().contains("found stale route unreachable 10.20.0.0/16"), status::toString);
        assertTrue(status.out().contains("\"heldStaleRoutes\":[]"), "the up replaced them: " + status);
        assertTrue(status.out().contains("removed stale pinned BPF objects"), status::toString);
        assertTrue(status.out().contains("removed stale app cgroups"), status::toString);
        assertTrue(net.connect(Who.APP, TunnelLab.INTERNAL_V4).connected(), "the new up works");
        net.down();
        assertEquals(before, net.snapshot());
        assertEquals(List.of(), net.leftovers());
    }

    /**
     * The daemon, which owns the hand-over flag, answers {@code down} itself while a hand-over is pending: a
     * wg-pr@ unit that an upgrade's restart stops, or the tray's Down meanwhile, leaves the tunnel up for the
     * next daemon. Once the flag is gone, {@code down} takes it down as ever.
     */
    @Test
    void whileAHandOverIsPendingDownLeavesTheTunnelUpAndSaysSo(NetnsLab lab) throws Exception {
        net = TunnelLab.routed(lab);
        String before = net.snapshot();
        Path config = net.config("per-prefix", ALLOWED, null);
        assertEquals(0, net.up(config).exitCode());
        String upState = net.snapshot();

        HandOver.request(net.instance);
        Result down;
        try {
            down = net.cli().run("down", net.iface);
        } finally {
            HandOver.withdraw(net.instance);
        }
        assertEquals(0, down.exitCode(), down::toString);
        assertTrue(down.out().contains(net.iface + " stays up: the daemon of instance"), down::toString);
        assertEquals(upState, net.snapshot(), "nothing was taken down");
        assertTrue(net.connect(Who.APP, TunnelLab.INTERNAL_V4).connected(), "the tunnel still works");

        net.down();
        assertEquals(before, net.snapshot());
        assertEquals(List.of(), net.leftovers());
    }

    @Test
    void aFailedUpSaysWhyAndLeavesNothingBehind(NetnsLab lab) throws Exception {
        net = TunnelLab.routed(lab);
        String before = net.snapshot();

        Result bad = net.up(net.config("per-prefix", "\"10.20.0.0/33\"", null));
        assertEquals(2, bad.exitCode(), bad::toString);
        assertTrue(bad.err().contains(".toml:"), "file and line named: " + bad);

        Path unresolvable = net.config("per-prefix", ALLOWED, null);
        Files.writeString(
                unresolvable,
                Files.readString(unresolvable).replace("198.51.100.10:51820", "no-such-host.invalid:51820"));
        Result noName = net.up(unresolvable);
        assertEquals(1, noName.exitCode(), noName::toString);
        assertTrue(noName.err().contains("cannot resolve the endpoint name no-such-host.invalid"), noName::toString);
        assertEquals(before, net.snapshot());
        assertEquals(List.of(), net.leftovers());

        // A failure in the middle of the pipeline: the interface name is taken.
        net.client.ip("link", "add", net.iface, "type", "veth", "peer", "name", net.iface + "p");
        String withDummy = net.snapshot();
        Result taken = net.up(net.config("per-prefix", ALLOWED, null));
        assertEquals(1, taken.exitCode(), taken::toString);
        assertTrue(taken.err().contains(net.iface), taken::toString);
        assertEquals(withDummy, net.snapshot());
        assertEquals(List.of(), net.leftovers());
        Result status = net.cli().run("status", "--json");
        assertTrue(status.out().contains("\"tunnels\":[]"), status::toString);
    }

    @Test
    void theInternalSetAgreesWithIpRouteGetForASweepOfAddresses(NetnsLab lab) throws Exception {
        net = TunnelLab.routed(lab);
        Result up = net.up(net.config("di-semi-default", "\"0.0.0.0/0\", \"fd10:20::/32\"", null));
        assertEquals(0, up.exitCode(), up::toString);
        Map<String, Object> enforcement =
                asMap(Json.parseObject(net.cli().run("status", "--json").out()).get("enforcement"));
        List<IpPrefix> internal = prefixes(enforcement.get("internal"));
        List<IpPrefix> exclusions = prefixes(enforcement.get("exclusions"));

        List<String> sweep = new ArrayList<>(List.of(
                "127.0.0.1",
                "127.9.9.9",
                "192.168.10.1",
                "192.168.10.2",
                "192.168.10.200",
                "198.51.100.10",
                "198.51.100.11",
                "203.0.113.20",
                "10.8.0.1",
                "10.8.0.2",
                "10.20.0.10",
                "8.8.8.8",
                "1.1.1.1",
                "224.0.0.1",
                "255.255.255.255",
                "fd10:20::10",
                "fd10:20:ffff::1",
                "fd00:10::1",
                "2001:db8::1"));
        Random random = new Random(42);
        for (int i = 0; i < 60; i++) {
            sweep.add((random.nextInt(223) + 1) + "." + random.nextInt(256) + "." + random.nextInt(256) + "."
                    + (random.nextInt(254) + 1));
        }
        for (String address : sweep) {
            InetAddress destination = InetAddress.getByName(address);
            boolean judgedInternal = mostSpecific(internal, destination) > mostSpecific(exclusions, destination);
            var routeGet = net.client.exec("ip", "route", "get", address);
            boolean routedIntoTunnel = routeGet.succeeded() && routeGet.stdout().contains("dev " + net.iface + " ");
            assertEquals(
                    routedIntoTunnel,
                    judgedInternal,
                    address + ": ip route get says " + routeGet.stdout().strip()
                            + routeGet.stderr().strip() + "; internal " + internal + ", exclusions " + exclusions);
        }
        net.down();
    }

    private static int mostSpecific(List<IpPrefix> prefixes, InetAddress address) {
        return prefixes.stream()
                .filter(p -> p.contains(address))
                .mapToInt(IpPrefix::length)
                .max()
                .orElse(-1);
    }

    private static List<IpPrefix> prefixes(Object list) {
        return ((List<?>) list).stream().map(p -> IpPrefix.parse((String) p)).toList();
    }

    @SuppressWarnings("unchecked") // status objects are JSON objects
    private static Map<String, Object> asMap(Object value) {
        return (Map<String, Object>) value;
    }

    private void awaitLinkGone() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (net.client.ip("link").contains(net.iface)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the TUN interface outlived the daemon");
            }
            Thread.sleep(20);
        }
    }
}
