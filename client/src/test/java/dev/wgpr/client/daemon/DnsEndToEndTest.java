package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.daemon.DaemonTesting.Result;
import dev.wgpr.client.daemon.TunnelLab.Attempt;
import dev.wgpr.client.dns.LabCommands;
import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.RequiresRoot;
import dev.wgpr.testing.lab.LabProcess;
import dev.wgpr.testing.lab.Namespace;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
    private final List<LabProcess> servers = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
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

    @Test
    void appsResolveInternalNamesThroughTheTunnelAndOthersLearnNothingOfThem(NetnsLab lab) throws Exception {
        net = TunnelLab.routed(lab);
        net.serverNs.address("lo", INTERNAL_DNS_V4 + "/32", INTERNAL_DNS_V6 + "/128");
        LabProcess internalDns = dnsmasq(
                net.serverNs,
                INTERNAL_DNS_V4,
                "--listen-address=" + INTERNAL_DNS_V6,
                "--address=/" + INTERNAL_NAME + "/" + TunnelLab.INTERNAL_V4,
                "--local=/corp.example/");
        LabProcess publicDns =
                dnsmasq(net.internet, TunnelLab.INTERNET_V4, "--address=/" + PUBLIC_NAME + "/" + TunnelLab.INTERNET_V4);
        Path resolvConf = DaemonTesting.scratch().resolve(net.iface + "-resolv.conf");
        Files.writeString(resolvConf, "nameserver " + TunnelLab.INTERNET_V4 + "\n");

        Path config = net.config("per-prefix", TunnelLab.ALLOWED_IPS, null);
        Files.writeString(
                config,
                Files.readString(config)
                        .replace(
                                "routeMode = \"per-prefix\"",
                                "routeMode = \"per-prefix\"\ndns = [\"" + INTERNAL_DNS_V4
                                        + "\"]\ndnsDomains = [\"corp.example\"]"));
        Result up = net.cli().withResolvConf(resolvConf).run("up", config.toString());
        assertEquals(0, up.exitCode(), up::toString);

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
        Attempt linkFace = nobody("dig", "+time=2", "+tries=1", "@10.8.0.2", INTERNAL_NAME);
        assertTrue(linkFace.out().contains("status: REFUSED"), linkFace.toString());
        assertFalse(linkFace.out().contains(TunnelLab.INTERNAL_V4), linkFace.toString());
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

    /** {@code command} as app "probe" of {@code wg-pr run}. */
    private Result app(String... command) throws Exception {
        List<String> run = new ArrayList<>(List.of("run", "--app", "probe", "--"));
        run.addAll(List.of(command));
        return net.cli().run(run.toArray(String[]::new));
    }

    /** {@code command} as uid nobody in the client namespace, with the lab's resolv.conf. */
    private Attempt nobody(String... command) throws Exception {
        Path resolvConf = DaemonTesting.scratch().resolve(net.iface + "-resolv.conf");
        List<String> asNobody =
                new ArrayList<>(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"));
        asNobody.addAll(List.of(command));
        return net.inClient(LabCommands.withResolvConf(resolvConf, asNobody));
    }
}
