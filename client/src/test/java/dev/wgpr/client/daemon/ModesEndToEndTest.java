package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.daemon.DaemonTesting.Result;
import dev.wgpr.client.daemon.TunnelLab.Attempt;
import dev.wgpr.client.daemon.TunnelLab.Who;
import dev.wgpr.enforcement.Enforcer;
import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.RequiresRoot;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import dev.wgpr.testing.lab.Topologies;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The modes through {@code wg-pr up} (issue 18): a full tunnel whose non-apps go around it (bypass), and a
 * deny full tunnel with an excluded app. The Internet host records who called: the underlay address
 * (192.168.10.2) for a process that goes around the tunnel, the tunnel address (10.8.0.2) for the app. The server forwards tunnel traffic to the Internet (the router
 * routes the tunnel's network back to it), as a VPN provider's server would.
 */
@RequiresRoot
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
class ModesEndToEndTest {
    private static final String CLIENT_UNDERLAY_V4 = "192.168.10.2";
    private static final String CLIENT_TUNNEL_V4 = "10.8.0.2";
    private static final String INTERNET_V6 = "2001:db8:113::20";

    private TunnelLab net;

    @AfterEach
    void cleanUp() throws Exception {
        if (net != null) {
            net.close();
        }
    }

    @Test
    void aBypassFullTunnelCarriesOnlyTheAppAndOthersReachTheInternetThroughTheUnderlay(NetnsLab lab) throws Exception {
        net = forwardingToTheInternet(lab);
        String before = net.snapshot() + allTables();
        Path config = bypass(net.config("auto", "\"0.0.0.0/0\", \"::/0\"", null));

        Result up = net.up(config);
        assertEquals(0, up.exitCode(), up::toString);

        Attempt nobody = net.connect(Who.NOBODY, TunnelLab.INTERNET_V4);
        assertTrue(nobody.connected(), "a non-app keeps the Internet: " + nobody);
        Attempt root = net.connect(Who.ROOT, TunnelLab.INTERNET_V4);
        assertTrue(root.connected(), "root, no app, too: " + root);
        Attempt app = net.connect(Who.APP, TunnelLab.INTERNET_V4);
        assertTrue(app.connected(), "the app reaches the Internet host through the tunnel: " + app);
        assertEquals(
                List.of(CLIENT_UNDERLAY_V4, CLIENT_UNDERLAY_V4, CLIENT_TUNNEL_V4),
                net.callersOf(TunnelLab.INTERNET_V4),
                "the server sees the underlay address for non-apps and the tunnel address for the app");
        assertTrue(net.connect(Who.APP, TunnelLab.INTERNAL_V4).connected(), "the app reaches the internal service");
        assertFalse(
                net.connect(Who.NOBODY, TunnelLab.INTERNAL_V4).connected(),
                "the internal service is behind the tunnel: the underlay has no way there");
        Result status = net.cli().run("status");
        assertTrue(status.out().contains("bypass: processes that are no app go around the tunnel"), status.out());
        assertTrue(net.cli().run("status", "--json").out().contains("\"others\":\"bypass\""));

        net.down();
        assertEquals(before, net.snapshot() + allTables(), "down leaves rules and every table as before");
    }

    @Test
    void aBypassFullTunnelWorksTheSameWithIpv6InsideAndOutside(NetnsLab lab) throws Exception {
        net = forwardingToTheInternet(lab);
        net.router.route("fd10:8::/64", Topologies.Routed.SERVER_V6);
        net.listen(net.internet, INTERNET_V6);
        String before = net.snapshot() + allTables();
        Path config = bypass(net.config("auto", "\"0.0.0.0/0\", \"::/0\"", null));
        String toml = Files.readString(config);
        String v4Endpoint = Topologies.Routed.SERVER_V4 + ":51820";
        assertTrue(toml.contains(v4Endpoint), toml);
        Files.writeString(config, toml.replace(v4Endpoint, "[" + Topologies.Routed.SERVER_V6 + "]:51820"));

        Result up = net.up(config);
        assertEquals(0, up.exitCode(), up::toString);
        Attempt nobody = net.connect(Who.NOBODY, INTERNET_V6);
        assertTrue(nobody.connected(), "a non-app keeps the IPv6 Internet: " + nobody);
        Attempt app = net.connect(Who.APP, INTERNET_V6);
        assertTrue(app.connected(), "the app reaches it through the tunnel, over IPv6 outside too: " + app);
        assertEquals(
                List.of("fd00:10:0:0:0:0:0:2", "fd10:8:0:0:0:0:0:2"), // as InetAddress prints them
                net.callersOf(INTERNET_V6),
                "the server sees the underlay address for the non-app, the tunnel address for the app");

        net.down();
        assertEquals(before, net.snapshot() + allTables(), "down leaves rules and every table as before");
    }

    @Test
    void strictReversePathFilteringIsLoosenedWhileOthersGoAroundAndRestoredAtDown(NetnsLab lab) throws Exception {
        net = forwardingToTheInternet(lab);
        net.client.sysctl("net.ipv4.conf.all.rp_filter", "1");
        net.client.sysctl("net.ipv4.conf.eth0.rp_filter", "1");
        String before = net.snapshot() + allTables() + rpFilters();
        Result up = net.up(bypass(net.config("auto", "\"0.0.0.0/0\", \"::/0\"", null)));
        assertEquals(0, up.exitCode(), up::toString);

        // The reply comes in on eth0 from an address whose unmarked route is the tunnel: strict mode
        // would drop it, and the connection would hang.
        Attempt nobody = net.connect(Who.NOBODY, TunnelLab.INTERNET_V4);
        assertTrue(nobody.connected(), "a non-app's replies pass reverse path filtering: " + nobody);
        assertTrue(net.connect(Who.APP, TunnelLab.INTERNET_V4).connected());

        net.down();
        assertEquals(before, net.snapshot() + allTables() + rpFilters(), "strict again, and nothing else changed");
    }

    private String rpFilters() {
        return "\n---\n" + net.client.run("sysctl", "net.ipv4.conf.all.rp_filter", "net.ipv4.conf.eth0.rp_filter");
    }

    @Test
    void aDenyCorporateTunnelBesideABypassFullTunnelEachProcessGoesWhereItsTunnelsSay(NetnsLab lab) throws Exception {
        net = forwardingToTheInternet(lab);
        TunnelLab.Side corp = net.anotherServer(51821, "10.9.0.1", "10.9.0.2");
        String before = net.snapshot() + allTables();
        Path vpn = bypass(net.config("auto", "\"0.0.0.0/0\", \"::/0\"", null));
        Path corporate = net.config(corp, "per-prefix", "\"10.9.0.1/32\", \"10.20.0.0/16\"", null);

        for (Path config : List.of(vpn, corporate)) {
            Result up = net.up(config);
            assertEquals(0, up.exitCode(), up::toString);
        }
        assertTrue(net.connect(Who.NOBODY, TunnelLab.INTERNET_V4).connected(), "the VPN lets non-apps around it");
        Attempt internal = net.connect(Who.NOBODY, TunnelLab.INTERNAL_V4);
        assertTrue(internal.denied(), "the corporate tunnel's prefix stays denied to non-apps: " + internal);
        assertTrue(net.connectAsAppOf(corp.iface(), TunnelLab.INTERNAL_V4).connected(), "the app, through corp");
        assertTrue(net.connectAsAppOf(net.iface, TunnelLab.INTERNET_V4).connected(), "the app, through the VPN");
        assertEquals(List.of(CLIENT_UNDERLAY_V4, CLIENT_TUNNEL_V4), net.callersOf(TunnelLab.INTERNET_V4));
        assertEquals(List.of("10.9.0.2"), net.callersOf(TunnelLab.INTERNAL_V4), "the service saw corp's address");

        for (String iface : List.of(corp.iface(), net.iface)) {
            Result down = net.cli().run("down", iface);
            assertEquals(0, down.exitCode(), down::toString);
        }
        assertEquals(before, net.snapshot() + allTables(), "down of both leaves rules and every table as before");
    }

    @Test
    void afterADaemonSigkillNonAppsKeepTheUnderlayAndTheNextDaemonLeavesNothingBehind(NetnsLab lab) throws Exception {
        net = TunnelLab.routed(lab);
        net.client.sysctl("net.ipv4.conf.all.rp_filter", "1");
        net.client.sysctl("net.ipv4.conf.eth0.rp_filter", "1");
        String before = net.snapshot() + allTables() + rpFilters();
        Path config = bypass(net.config("auto", "\"0.0.0.0/0\", \"::/0\"", null));
        Result up = net.up(config);
        assertEquals(0, up.exitCode(), up::toString);
        assertTrue(net.connect(Who.NOBODY, TunnelLab.INTERNET_V4).connected());

        ProcessHandle daemon =
                ProcessHandle.of(DaemonTesting.daemonPid(net.instance)).orElseThrow();
        assertTrue(daemon.destroyForcibly(), "SIGKILL sent");
        daemon.onExit().get(20, TimeUnit.SECONDS);
        Attempt orphaned = net.connect(Who.NOBODY, TunnelLab.INTERNET_V4);
        assertTrue(orphaned.connected(), "the pinned programs and the rules outlive the daemon: " + orphaned);
        assertEquals(CLIENT_UNDERLAY_V4, net.callersOf(TunnelLab.INTERNET_V4).getLast());

        up = net.up(config); // the next daemon cleans up the crashed one's, then steers anew
        assertEquals(0, up.exitCode(), up::toString);
        assertTrue(net.connect(Who.NOBODY, TunnelLab.INTERNET_V4).connected());
        Result status = net.cli().run("status");
        assertTrue(status.out().contains("removed stale underlay steering of mark 0x7767"), status.out());
        assertTrue(
                status.out().contains("rp_filter on all, eth0 as before the crashed run turned it off"), status.out());
        net.down();
        assertEquals(
                before,
                net.snapshot() + allTables() + rpFilters(),
                "crash, restart and down leave rules, tables and rp_filter as before");
    }

    @Test
    void theUnderlayMirrorFollowsTheHostsRoutesWhileATunnelIsUp(NetnsLab lab) throws Exception {
        net = forwardingToTheInternet(lab);
        Result up = net.up(bypass(net.config("auto", "\"0.0.0.0/0\", \"::/0\"", null)));
        assertEquals(0, up.exitCode(), up::toString);
        String table = Integer.toUnsignedString(Enforcer.othersMarkOf(net.instance.name()));
        String mirror = net.client.ip("route", "show", "table", table);
        assertTrue(mirror.contains("default via 192.168.10.1 dev eth0"), mirror);
        assertFalse(mirror.contains("dev " + net.iface), "no route through the tunnel in the mirror: " + mirror);

        // The underlay changes while the tunnel is up, as when a laptop joins another network.
        net.client.ip("route", "add", "203.0.113.0/24", "via", "192.168.10.1", "dev", "eth0", "metric", "7");
        awaitMirror(table, m -> m.contains("203.0.113.0/24 via 192.168.10.1 dev eth0 metric 7"), "the new route");
        assertTrue(net.connect(Who.NOBODY, TunnelLab.INTERNET_V4).connected(), "a non-app takes it");
        net.client.ip("route", "del", "203.0.113.0/24", "via", "192.168.10.1", "dev", "eth0", "metric", "7");
        awaitMirror(table, m -> !m.contains("203.0.113.0/24"), "the route gone again");

        net.down();
        assertEquals("", net.client.ip("route", "show", "table", table).strip(), "no mirror after down");
    }

    /** Waits, as long as a CLI call may take, until the mirror {@code table} is as {@code wanted} says. */
    private void awaitMirror(String table, Predicate<String> wanted, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String mirror = net.client.ip("route", "show", "table", table);
        while (!wanted.test(mirror)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the mirror did not follow (" + what + "): " + mirror);
            }
            Thread.sleep(100);
            mirror = net.client.ip("route", "show", "table", table);
        }
    }

    @Test
    void anExcludedAppOfADenyFullTunnelReachesTheInternetThroughTheUnderlayAndNothingElseChanges(NetnsLab lab)
            throws Exception {
        net = forwardingToTheInternet(lab);
        String before = net.snapshot() + allTables();
        Path config = net.config("auto", "\"0.0.0.0/0\", \"10.20.0.0/16\"", null);
        String toml = Files.readString(config);
        Files.writeString(
                config,
                toml.replace(
                        "[[peer]]", "others = \"deny\"\n\n[[interface.excludedApps]]\nname = \"torrent\"\n\n[[peer]]"));

        Result up = net.up(config);
        assertEquals(0, up.exitCode(), up::toString);

        Attempt excluded = excluded(TunnelLab.INTERNET_V4);
        assertTrue(excluded.connected(), "the excluded app reaches the Internet host: " + excluded);
        Attempt nobody = net.connect(Who.NOBODY, TunnelLab.INTERNET_V4);
        assertTrue(nobody.denied(), "other non-apps are denied the full tunnel's Internet: " + nobody);
        Attempt app = net.connect(Who.APP, TunnelLab.INTERNET_V4);
        assertTrue(app.connected(), "the app uses the tunnel: " + app);
        assertEquals(
                List.of(CLIENT_UNDERLAY_V4, CLIENT_TUNNEL_V4),
                net.callersOf(TunnelLab.INTERNET_V4),
                "the excluded app through the underlay, the app through the tunnel");
        Attempt internal = excluded(TunnelLab.INTERNAL_V4);
        assertTrue(internal.denied(), "a deny tunnel's own prefix stays denied to an excluded app: " + internal);
        assertTrue(net.connect(Who.APP, TunnelLab.INTERNAL_V4).connected());
        Result status = net.cli().run("status");
        assertTrue(status.out().contains("excluded apps torrent: never use the tunnel"), status.out());

        net.down();
        assertEquals(before, net.snapshot() + allTables(), "down leaves rules and every table as before");
    }

    @Test
    void aFullTunnelThatLeavesOthersUnwrittenIsRefusedUntilForcedAndThenDeniesThem(NetnsLab lab) throws Exception {
        net = forwardingToTheInternet(lab);
        String before = net.snapshot() + allTables();
        Path config = net.config("auto", "\"0.0.0.0/0\"", null);

        Result refused = net.up(config);
        assertEquals(2, refused.exitCode(), refused::toString);
        assertTrue(
                refused.err()
                        .contains("denied 0.0.0.0/0: every process that is no app loses the Internet while this"
                                + " tunnel is up"),
                refused::toString);
        assertTrue(refused.err().contains("add --force to go ahead; nothing was changed"), refused::toString);
        assertEquals(before, net.snapshot() + allTables(), "a refused up changes nothing");

        Result forced = net.cli().run("up", "--force", config.toString());
        assertEquals(0, forced.exitCode(), forced::toString);
        Attempt nobody = net.connect(Who.NOBODY, TunnelLab.INTERNET_V4);
        assertTrue(nobody.denied(), "forced, the default holds: non-apps are denied the Internet: " + nobody);
        assertTrue(net.connect(Who.APP, TunnelLab.INTERNET_V4).connected(), "the app uses the tunnel");

        net.down();
        assertEquals(before, net.snapshot() + allTables(), "down leaves rules and every table as before");
    }

    @Test
    void reloadMovesAFullTunnelFromDenyToBypassAndBackWithoutLeavingAnythingBehind(NetnsLab lab) throws Exception {
        net = forwardingToTheInternet(lab);
        String before = net.snapshot() + allTables();
        Path config = net.config("auto", "\"0.0.0.0/0\"", null);
        String deny =
                Files.readString(config).replace("routeMode = \"auto\"", "routeMode = \"auto\"\nothers = \"deny\"");
        Files.writeString(config, deny);
        Result up = net.up(config);
        assertEquals(0, up.exitCode(), up::toString);
        String upDenying = net.snapshot() + allTables();
        assertTrue(net.connect(Who.NOBODY, TunnelLab.INTERNET_V4).denied(), "deny: a non-app loses the Internet");

        Files.writeString(config, deny.replace("others = \"deny\"", "others = \"bypass\""));
        Result toBypass = net.cli().run("reload", config.toString());
        assertEquals(0, toBypass.exitCode(), toBypass::toString);
        Attempt around = net.connect(Who.NOBODY, TunnelLab.INTERNET_V4);
        assertTrue(around.connected(), "bypass after the reload: the non-app goes around the tunnel: " + around);
        assertTrue(net.connect(Who.APP, TunnelLab.INTERNET_V4).connected(), "the app still uses the tunnel");
        assertEquals(
                List.of(CLIENT_UNDERLAY_V4, CLIENT_TUNNEL_V4),
                net.callersOf(TunnelLab.INTERNET_V4),
                "the non-app through the underlay, the app through the tunnel");

        Files.writeString(config, deny);
        Result back = net.cli().run("reload", config.toString());
        assertEquals(0, back.exitCode(), back::toString);
        Attempt denied = net.connect(Who.NOBODY, TunnelLab.INTERNET_V4);
        assertTrue(denied.denied(), "deny again: " + denied);
        assertEquals(upDenying, net.snapshot() + allTables(), "back to deny, no steering rule or table is left");

        net.down();
        assertEquals(before, net.snapshot() + allTables(), "down leaves rules and every table as before");
    }

    /** A TCP connection to {@code address}:8080 by excluded app "torrent", started with {@code wg-pr run}. */
    private Attempt excluded(String address) throws Exception {
        String script = "exec 3<>/dev/tcp/" + address + "/" + TunnelLab.PORT + " && head -c 5 <&3";
        Result r = net.cli()
                .run(
                        "run",
                        "--app",
                        "torrent",
                        "--",
                        "/bin/bash",
                        "-c",
                        "exec timeout 10 /bin/bash -c '" + script + "'");
        return new Attempt(r.exitCode(), r.out(), r.err());
    }

    /** The routed lab, where the server forwards tunnel traffic to the Internet host and back. */
    private static TunnelLab forwardingToTheInternet(NetnsLab lab) {
        TunnelLab net = TunnelLab.routed(lab);
        net.serverNs.enableForwarding();
        net.router.route("10.8.0.0/24", "198.51.100.10");
        return net;
    }

    /** {@code config} with {@code others = "bypass"} added to its [interface]. */
    private static Path bypass(Path config) throws Exception {
        String toml = Files.readString(config);
        Files.writeString(config, toml.replace("routeMode = \"auto\"", "routeMode = \"auto\"\nothers = \"bypass\""));
        assertTrue(Files.readString(config).contains("others = \"bypass\""));
        return config;
    }

    private String allTables() {
        return "\n---\n" + net.client.ip("route", "show", "table", "all") + "\n---\n"
                + net.client.ip("-6", "route", "show", "table", "all");
    }
}
