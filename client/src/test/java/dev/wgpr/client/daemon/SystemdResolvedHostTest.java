package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.daemon.DaemonTesting.Cli;
import dev.wgpr.client.daemon.DaemonTesting.Result;
import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.RequiresRoot;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A host whose resolver is systemd-resolved, for real: Debian's systemd-resolved (unpacked by dev.sh, not
 * installed) with a dbus-daemon as its system bus, in a network and mount namespace of the test's own
 * ({@code /etc} an overlay, {@code /run/dbus} and {@code /run/systemd} private), {@code /etc/resolv.conf} a
 * symlink to its stub. {@code wg-pr up} picks it by itself ({@code dnsResolver = "auto"}); {@code
 * resolvectl status} shows the tunnel's link with its server and routing domain, not the default route; a
 * non-app asking resolved for an internal name reaches the forwarder's link face and is refused; a {@code
 * reload} with other domains moves both resolved's routing and the forwarder's zones; after {@code down}, a
 * {@code reload} and a SIGKILL'ed daemon with the next one started, {@code resolvectl status} is byte for
 * byte what it was before {@code up}.
 */
@RequiresRoot
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
class SystemdResolvedHostTest {
    private static final String RESOLVECTL = ResolverHost.RESOLVECTL.toString();
    private ResolverHost host;

    @BeforeEach
    void resolvedHost(NetnsLab lab) throws Exception {
        ResolverHost.assumeSystemdResolved();
        host = ResolverHost.start(lab, ResolverHost.systemdResolved(""));
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (host != null) {
            host.close();
        }
    }

    private String resolvectlStatus() throws Exception {
        return host.etc.run(RESOLVECTL, "status", "--no-pager");
    }

    /**
     * What the forwarder did with {@code name} asked on the tunnel's link face by root (no app), told by
     * its counters: "refused" (an internal name) or "forwarded" (upstream, to resolved, whose own answer
     * may be REFUSED too: so the answer alone would not tell).
     */
    private String whatTheLinkFaceDoesWith(String name) throws Exception {
        long[] before = forwarderCounters();
        String dig = host.etc.run("sh", "-c", "dig +time=2 +tries=1 @10.79.0.2 \"$0\" || true", name);
        long[] after = forwarderCounters();
        if (after[0] == before[0] + 1 && after[1] == before[1]) {
            return "refused";
        }
        if (after[0] == before[0] && after[1] == before[1] + 1) {
            return "forwarded";
        }
        return "refused " + before[0] + " -> " + after[0] + ", forwarded " + before[1] + " -> " + after[1] + ":\n"
                + dig;
    }

    /** The tunnel's forwarder's refused and forwarded counters, from {@code status --json}. */
    private long[] forwarderCounters() throws Exception {
        String json = Cli.root(host.instance).run("status", "--json").out();
        Matcher refused = Pattern.compile("\"refused\":(\\d+)").matcher(json);
        Matcher forwarded = Pattern.compile("\"forwarded\":(\\d+)").matcher(json);
        assertTrue(refused.find() && forwarded.find(), json);
        return new long[] {Long.parseLong(refused.group(1)), Long.parseLong(forwarded.group(1))};
    }

    /** Tunnel wgprd1 with {@code domains}; systemd-resolved is picked by itself. */
    private static Path config(String domains) throws Exception {
        return ResolverHost.dnsConfig("wgprd1", 10, "\"10.79.0.2/32\"", domains, "auto");
    }

    @Test
    void upTellsResolvedTheLinksServerAndRoutingDomainAndDownLeavesItAsBefore() throws Exception {
        String before = resolvectlStatus();

        host.succeeds("up", config("\"corp.example\"").toString());
        String up = resolvectlStatus();
        assertTrue(up.contains("(wgprd1)"), up);
        String link = up.substring(up.indexOf("(wgprd1)"));
        assertTrue(link.contains("DNS Servers: 10.79.0.2"), link);
        assertTrue(link.contains("DNS Domain: ~corp.example"), link);
        assertTrue(link.contains("-DefaultRoute -LLMNR -mDNS"), "not the default route, no multicast names: " + link);
        Result status = Cli.root(host.instance).run("status");
        assertTrue(
                status.out().contains("resolver")
                        && status.out().contains("systemd-resolved: asks 10.79.0.2 for ~corp.example"),
                status::toString);
        // A non-app asking the host's resolver: resolved sends the name to the link face, which refuses it.
        String viaResolved = host.etc.run("sh", "-c", "dig +time=5 +tries=1 @127.0.0.53 db1.corp.example || true");
        assertTrue(viaResolved.contains("status: REFUSED") || viaResolved.contains("status: SERVFAIL"), viaResolved);
        assertFalse(viaResolved.contains("ANSWER SECTION"), viaResolved);
        assertTrue(forwarderCounters()[0] >= 1, "the forwarder refused what resolved sent it");

        host.succeeds("down", "wgprd1");
        assertEquals(before, resolvectlStatus());
    }

    @Test
    void aReloadWithOtherDomainsMovesResolvedsRoutingAndTheForwardersZonesAndDownLeavesItAsBefore() throws Exception {
        String before = resolvectlStatus();
        host.succeeds("up", config("\"corp.example\"").toString());
        assertEquals("refused", whatTheLinkFaceDoesWith("db1.corp.example"), "internal: refused to a non-app");
        assertEquals("forwarded", whatTheLinkFaceDoesWith("db1.lab.example"), "not internal yet");

        host.succeeds(
                "reload", config("\"lab.example\", \"20.10.in-addr.arpa\"").toString());
        String reloaded = resolvectlStatus();
        String link = reloaded.substring(reloaded.indexOf("(wgprd1)"));
        assertTrue(link.contains("~lab.example"), link);
        assertTrue(link.contains("~20.10.in-addr.arpa"), link);
        assertFalse(link.contains("corp.example"), link);
        // The forwarder's zones follow: the new zone is internal (refused to a non-app on the link face),
        // the old one is a name like any other, sent upstream.
        assertEquals("refused", whatTheLinkFaceDoesWith("db1.lab.example"));
        assertEquals("forwarded", whatTheLinkFaceDoesWith("db1.corp.example"));

        host.succeeds("down", "wgprd1");
        assertEquals(before, resolvectlStatus());
    }

    @Test
    void aFullTunnelThatDeniesOthersIsAlsoResolvedsDefaultRouteAndDownLeavesItAsBefore() throws Exception {
        String before = resolvectlStatus();

        // Everything routed into the tunnel and denied to non-apps: the link answers every name, not only its zones.
        host.succeeds("up", fullTunnel("deny").toString());
        String up = resolvectlStatus();
        String link = up.substring(up.indexOf("(wgprd1)"));
        assertTrue(link.contains("DNS Domain: ~corp.example"), link);
        assertTrue(link.contains("+DefaultRoute"), "a full tunnel's link is the DNS default route: " + link);

        host.succeeds("down", "wgprd1");
        assertEquals(before, resolvectlStatus());
    }

    @Test
    void aFullTunnelThatOthersBypassLeavesTheDefaultRouteToTheHostsOwnLinks() throws Exception {
        String before = resolvectlStatus();

        // Include mode: every process that is no app goes around the tunnel, its names too.
        host.succeeds("up", fullTunnel("bypass").toString());
        String up = resolvectlStatus();
        String link = up.substring(up.indexOf("(wgprd1)"));
        assertTrue(link.contains("DNS Domain: ~corp.example"), "the tunnel's own zone still goes to it: " + link);
        assertTrue(link.contains("-DefaultRoute"), "not the DNS default route: " + link);

        host.succeeds("down", "wgprd1");
        assertEquals(before, resolvectlStatus());
    }

    /** Tunnel wgprd1 routing 0.0.0.0/0 as well as its zone, with {@code others} written out. */
    private static Path fullTunnel(String others) throws Exception {
        Path config = config("\"corp.example\"");
        Files.writeString(
                config,
                Files.readString(config)
                        .replace("[interface]\n", "[interface]\nothers = \"" + others + "\"\n")
                        .replace(
                                "allowedIPs = [\"10.79.10.0/24\"]", "allowedIPs = [\"0.0.0.0/0\", \"10.79.10.0/24\"]"));
        assertTrue(Files.readString(config).contains("others = \"" + others + "\""));
        return config;
    }

    @Test
    void afterASigkillAndTheNextDaemonResolvedIsAsBefore() throws Exception {
        String before = resolvectlStatus();
        host.succeeds("up", config("\"corp.example\"").toString());

        host.killDaemon();
        host.succeeds("daemon");

        assertEquals(before, resolvectlStatus());
    }
}
