package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.daemon.DaemonTesting.Cli;
import dev.wgpr.client.daemon.DaemonTesting.Result;
import dev.wgpr.client.daemon.TunnelLab.Attempt;
import dev.wgpr.client.dns.LabCommands;
import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.RequiresRoot;
import dev.wgpr.testing.lab.LabProcess;
import dev.wgpr.testing.lab.Namespace;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Names through the tunnel, end to end as the product ships: {@code wg-pr up} of a config with {@code dns}
 * and {@code dnsDomains}, apps started by {@code wg-pr run}, dnsmasq behind the wireguard-go peer serving
 * corp.example and another on the Internet side serving a public name, which the lab's own resolv.conf
 * names (what the host used before up). No resolver backend tells the lab's resolver anything here, so a
 * process that is no app asks the public server, which knows no internal name.
 */
@RequiresRoot
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
class DnsEndToEndTest {
    private static final String INTERNAL_DNS_V4 = "10.20.0.53";
    private static final String INTERNAL_DNS_V6 = "fd10:20::53";
    private static final String INTERNAL_NAME = "db1.corp.example";
    private static final String PUBLIC_NAME = "www.public.example";

    private TunnelLab net;
    private LabProcess internalDns;
    private LabProcess publicDns;
    private final List<LabProcess> servers = new ArrayList<>();
    /** The pid of an app the test started to outlive its daemon, ended by the test; 0: none. */
    private long survivor;

    @AfterEach
    void cleanUp() throws Exception {
        if (survivor != 0) {
            ProcessHandle.of(survivor).ifPresent(ProcessHandle::destroyForcibly);
        }
        for (LabProcess server : servers) {
            server.close();
        }
        if (net != null) {
            net.close();
        }
    }

    private LabProcess dnsmasq(Namespace ns, String listen, String... options) {
        List<String> all = new ArrayList<>(List.of(options));
        all.add("--pid-file=");
        LabProcess server = ns.start(LabCommands.dnsmasq(listen, all).toArray(String[]::new));
        servers.add(server);
        return server;
    }

    /**
     * The lab: dnsmasq behind the peer serving corp.example, dnsmasq on the Internet side serving the
     * public name, which the lab's resolv.conf names; returns the tunnel's config, with DNS.
     */
    private Path dnsLab(NetnsLab lab) throws Exception {
        net = TunnelLab.routed(lab);
        net.serverNs.address("lo", INTERNAL_DNS_V4 + "/32", INTERNAL_DNS_V6 + "/128");
        internalDns = dnsmasq(
                net.serverNs,
                INTERNAL_DNS_V4,
                "--listen-address=" + INTERNAL_DNS_V6,
                "--address=/" + INTERNAL_NAME + "/" + TunnelLab.INTERNAL_V4,
                "--local=/corp.example/");
        publicDns =
                dnsmasq(net.internet, TunnelLab.INTERNET_V4, "--address=/" + PUBLIC_NAME + "/" + TunnelLab.INTERNET_V4);
        Files.writeString(resolvConf(), "nameserver " + TunnelLab.INTERNET_V4 + "\n");
        return TunnelLab.withDns(
                net.config("per-prefix", TunnelLab.ALLOWED_IPS, null), INTERNAL_DNS_V4, "corp.example");
    }

    /** The lab's resolv.conf: what the host asked before up. */
    private Path resolvConf() throws IOException {
        return DaemonTesting.scratch().resolve(net.iface + "-resolv.conf");
    }

    /** {@code wg-pr up}, required to succeed; a daemon it starts sees the lab's resolv.conf. */
    private void up(Path config) throws Exception {
        Result up = net.cli().withResolvConf(resolvConf()).run("up", config.toString());
        assertEquals(0, up.exitCode(), up::toString);
    }

    @Test
    void appsResolveInternalNamesThroughTheTunnelAndOthersLearnNothingOfThem(NetnsLab lab) throws Exception {
        up(dnsLab(lab));

        Result status = net.cli().run("status", "--json");
        assertEquals(0, status.exitCode(), status::toString);
        Matcher face = Pattern.compile("\"appsFace\":\"(127\\.77\\.[0-9.]+)\"").matcher(status.out());
        assertTrue(face.find(), status.out());
        String appsFace = face.group(1);
        assertTrue(status.out().contains("\"linkFaces\":[\"10.8.0.2\",\"fd10:8::2\"]"), status.out());
        assertTrue(status.out().contains("\"appsView\":true"), status.out());

        // The app, through glibc (getent) and its own DNS client (dig), over UDP and TCP; nothing of it on the LAN.
        Path capture = lab.scratchDir().resolve("dns-lan.pcap");
        LabProcess tcpdump = net.captureLan(capture, "port 53");
        Result getent = app("getent", "hosts", INTERNAL_NAME);
        assertEquals(0, getent.exitCode(), getent::toString);
        assertTrue(getent.out().startsWith(TunnelLab.INTERNAL_V4), getent::toString);
        Result dig = app("dig", "+short", INTERNAL_NAME);
        assertEquals(TunnelLab.INTERNAL_V4, dig.out().strip(), dig::toString);
        Result digTcp = app("dig", "+tcp", "+short", INTERNAL_NAME);
        assertEquals(TunnelLab.INTERNAL_V4, digTcp.out().strip(), digTcp::toString);
        Result byName = app("/bin/bash", "-c", "exec 3<>/dev/tcp/" + INTERNAL_NAME + "/8080 && head -c 5 <&3");
        assertEquals("hello", byName.out().strip(), byName::toString);
        Result publicByName = app("/bin/bash", "-c", "exec 3<>/dev/tcp/" + PUBLIC_NAME + "/8080 && head -c 5 <&3");
        assertEquals("hello", publicByName.out().strip(), publicByName::toString);
        // libpcap hands packets over in blocks that a timeout (tcpdump's: 1 s) flushes, not at once.
        Thread.sleep(2000);
        tcpdump.close();
        String onTheLan = net.captured(capture);
        assertFalse(onTheLan.contains("corp.example"), "an internal name on the LAN:\n" + onTheLan);
        assertTrue(
                onTheLan.contains(PUBLIC_NAME),
                "the public name went upstream as before:\n" + onTheLan + "\n" + Files.size(capture) + " bytes; "
                        + tcpdump.output() + "\npublic server:\n" + publicDns.output());
        assertTrue(internalDns.output().contains("query[A] " + INTERNAL_NAME), internalDns.output());

        // A process that is no app: the host's resolver (the public server) knows no internal name, the
        // link face refuses it, and the internal server and the apps face are out of its reach.
        Attempt lookup = nobody("getent", "hosts", INTERNAL_NAME);
        assertEquals(2, lookup.exit(), "no such name for nobody: " + lookup);
        Attempt publicLookup = nobody("getent", "hosts", PUBLIC_NAME);
        assertTrue(publicLookup.out().startsWith(TunnelLab.INTERNET_V4), publicLookup.toString());
        for (String linkAddress : List.of("10.8.0.2", "fd10:8::2")) {
            Attempt linkFace = nobody("dig", "+time=2", "+tries=1", "@" + linkAddress, INTERNAL_NAME);
            assertTrue(linkFace.out().contains("status: REFUSED"), linkFace.toString());
            assertFalse(linkFace.out().contains(TunnelLab.INTERNAL_V4), linkFace.toString());
            Attempt other = nobody("dig", "+short", "+time=2", "+tries=1", "@" + linkAddress, PUBLIC_NAME);
            assertTrue(other.out().startsWith(TunnelLab.INTERNET_V4), "other names go upstream: " + other);
        }
        for (String target : List.of(INTERNAL_DNS_V4, INTERNAL_DNS_V6, appsFace)) {
            for (String transport : List.of("+notcp", "+tcp")) {
                Attempt direct = nobody("dig", transport, "+time=2", "+tries=1", "@" + target, INTERNAL_NAME);
                assertFalse(
                        direct.out().contains("ANSWER SECTION"), "nobody got an answer from " + target + ": " + direct);
                assertFalse(direct.out().contains(TunnelLab.INTERNAL_V4), direct.toString());
            }
        }
        net.awaitEvents(
                "\"destination\":\"" + INTERNAL_DNS_V4 + "\",\"port\":53,\"protocol\":\"udp\"",
                "\"destination\":\"" + INTERNAL_DNS_V4 + "\",\"port\":53,\"protocol\":\"tcp\"",
                "\"destination\":\"" + INTERNAL_DNS_V6 + "\",\"port\":53",
                "\"destination\":\"" + appsFace + "\",\"port\":53,\"protocol\":\"udp\"",
                "\"destination\":\"" + appsFace + "\",\"port\":53,\"protocol\":\"tcp\"");
        assertFalse(publicDns.output().contains("corp.example from " + TunnelLab.INTERNET_V4), publicDns.output());

        Result text = net.cli().run("status");
        assertTrue(text.out().contains("apps face") && text.out().contains(appsFace), text.out());
        net.down();
        Attempt afterDown = nobody("dig", "+time=1", "+tries=1", "@10.8.0.2", PUBLIC_NAME);
        assertFalse(afterDown.out().contains("ANSWER SECTION"), "the forwarder is gone: " + afterDown);
        assertFalse(Files.exists(net.instance.runtimeDirectory().resolve("dns").resolve(net.iface + ".resolv.conf")));
    }

    /**
     * An app that outlives its daemon's SIGKILL, with the resolver view it was started with: after the
     * next daemon has the tunnel up again (another tunnel with DNS up first, which must not take the
     * apps face the app's view names), the app resolves the internal name and connects to it by name; a
     * non-app learns nothing of it at any point.
     */
    @Test
    void anAppThatOutlivedACrashedDaemonResolvesInternalNamesAgainOnceTheNextDaemonHasTheTunnelUp(NetnsLab lab)
            throws Exception {
        Path config = dnsLab(lab);
        TunnelLab.Side other = net.anotherServer(51821, "10.9.0.1", "10.9.0.2");
        Path otherConfig = TunnelLab.withDns(
                net.config(other, "per-prefix", "\"10.9.0.1/32\"", null), "10.9.0.53", "other.example");
        up(config);
        Path mailbox = Files.createDirectory(lab.scratchDir().resolve("survivor"));
        // bash resolves and connects itself (/dev/tcp), as the program the app was started as.
        String loop = "exec </dev/null >/dev/null 2>&1; echo $$ > \"$0/pid\"; while :; do"
                + " if [ -e \"$0/ask\" ]; then rm -f \"$0/ask\";"
                + " (exec 3<>/dev/tcp/" + INTERNAL_NAME + "/8080 && echo connected) > \"$0/answer.new\" 2>&1;"
                + " mv \"$0/answer.new\" \"$0/answer\"; fi; sleep 0.1; done";
        Process run = net.cli().start("run", "--app", "probe", "--", "/bin/bash", "-c", loop, mailbox.toString());
        try {
            survivor = Long.parseLong(awaitFile(mailbox.resolve("pid")).strip());
            assertEquals("connected", ask(mailbox), "the app before the crash");

            long pid = DaemonTesting.daemonPid(net.instance);
            ProcessHandle daemon = ProcessHandle.of(pid).orElseThrow();
            assertTrue(daemon.destroyForcibly(), "SIGKILL sent");
            daemon.onExit().get(20, TimeUnit.SECONDS);
            assertTrue(ProcessHandle.of(survivor).isPresent(), "the app outlived its daemon");
            String inTheGap = ask(mailbox);
            assertFalse(inTheGap.contains("connected"), "no forwarder, no name: " + inTheGap);
            assertEquals(2, nobody("getent", "hosts", INTERNAL_NAME).exit(), "nothing for a non-app either");

            up(otherConfig); // the next daemon, started by the next command
            up(config);
            assertEquals("connected", ask(mailbox), "the app that outlived the crash, once its tunnel is up again");
            Result fresh = app("getent", "hosts", INTERNAL_NAME);
            assertTrue(fresh.out().startsWith(TunnelLab.INTERNAL_V4), fresh::toString);
            Attempt lookup = nobody("getent", "hosts", INTERNAL_NAME);
            assertEquals(2, lookup.exit(), "no such name for nobody: " + lookup);
            Result status = net.cli().run("status");
            assertTrue(status.out().contains("kept app cgroup"), status.out());
        } finally {
            run.destroyForcibly(); // the CLI of the run; the app itself is ended by cleanUp
        }
    }

    /**
     * The whole chain with systemd-resolved as the host's resolver (for real, on a bus of its own, its
     * global DNS the Internet's server, as a LAN's DHCP would give it): {@code up} tells resolved to send
     * corp.example to the link face; a non-app asking resolved gets no internal answer (the link face
     * refuses it), while the app resolves the name through its view and connects by name; both resolve
     * the public name.
     */
    @Test
    void withSystemdResolvedAsTheHostsResolverOnlyTheAppLearnsInternalNames(NetnsLab lab) throws Exception {
        ResolverHost.assumeSystemdResolved();
        Path config = dnsLab(lab);
        ResolverHost host = ResolverHost.start(
                net.instance,
                net.client,
                ResolverHost.systemdResolved("[Resolve]\nDNS=" + TunnelLab.INTERNET_V4 + "\n"));
        try {
            host.succeeds("up", config.toString());
            String link = host.etc.run(ResolverHost.RESOLVECTL.toString(), "status", "--no-pager", net.iface);
            assertTrue(link.contains("~corp.example"), link);

            String internal = nonApp(host, "getent hosts " + INTERNAL_NAME);
            assertTrue(internal.endsWith("exit 2\n"), "no such name for a non-app: " + internal);
            assertFalse(internal.contains(TunnelLab.INTERNAL_V4), internal);
            String viaStub = nonApp(host, "dig +time=5 +tries=1 " + INTERNAL_NAME);
            assertTrue(viaStub.contains("SERVER: 127.0.0.53"), viaStub);
            assertFalse(viaStub.contains("ANSWER SECTION"), viaStub);
            Result counters = host.cli().run("status", "--json");
            assertTrue(
                    Pattern.compile("\"refused\":[1-9]").matcher(counters.out()).find(),
                    "resolved asked the link face, which refused: " + counters.out());
            String publicName = nonApp(host, "getent hosts " + PUBLIC_NAME);
            assertTrue(publicName.startsWith(TunnelLab.INTERNET_V4), publicName);

            Result getent = appBy(host.cli(), "getent", "hosts", INTERNAL_NAME);
            assertTrue(getent.out().startsWith(TunnelLab.INTERNAL_V4), getent::toString);
            Result byName = appBy(
                    host.cli(), "/bin/bash", "-c", "exec 3<>/dev/tcp/" + INTERNAL_NAME + "/8080 && head -c 5 <&3");
            assertEquals("hello", byName.out().strip(), byName::toString);
            Result appsPublic = appBy(host.cli(), "getent", "hosts", PUBLIC_NAME);
            assertTrue(appsPublic.out().startsWith(TunnelLab.INTERNET_V4), appsPublic::toString);
            assertTrue(internalDns.output().contains("query[A] " + INTERNAL_NAME), internalDns.output());
        } finally {
            host.close();
        }
    }

    /** {@code script} as uid nobody on {@code host} (its /etc, resolved as its resolver); its output and "exit N". */
    private static String nonApp(ResolverHost host, String script) throws Exception {
        return host.etc.run(
                "sh", "-c", "setpriv --reuid=65534 --regid=65534 --clear-groups -- " + script + " 2>&1; echo exit $?");
    }

    /** Asks the surviving app to resolve and connect; returns what it says. */
    private static String ask(Path mailbox) throws Exception {
        Files.deleteIfExists(mailbox.resolve("answer"));
        Files.writeString(mailbox.resolve("ask"), "");
        return awaitFile(mailbox.resolve("answer")).strip();
    }

    private static String awaitFile(Path file) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!Files.exists(file)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no " + file + " within 30 s");
            }
            Thread.sleep(50);
        }
        return Files.readString(file);
    }

    /** {@code command} as app "probe" of {@code wg-pr run}, in the lab's tunnel. */
    private Result app(String... command) throws Exception {
        return appBy(net.cli(), command);
    }

    /** {@code command} as app "probe" of the lab's tunnel, started by {@code cli}. */
    private Result appBy(Cli cli, String... command) throws Exception {
        List<String> run = new ArrayList<>(List.of("run", "--app", "probe", "--tunnel", net.iface, "--"));
        run.addAll(List.of(command));
        return cli.run(run.toArray(String[]::new));
    }

    /** {@code command} as uid nobody in the client namespace, with the lab's resolv.conf. */
    private Attempt nobody(String... command) throws Exception {
        List<String> asNobody =
                new ArrayList<>(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"));
        asNobody.addAll(List.of(command));
        return net.inClient(LabCommands.withResolvConf(resolvConf(), asNobody));
    }
}
