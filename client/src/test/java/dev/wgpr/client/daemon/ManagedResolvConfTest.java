package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.daemon.DaemonTesting.Cli;
import dev.wgpr.client.daemon.DaemonTesting.Result;
import dev.wgpr.client.dns.LabCommands;
import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.RequiresRoot;
import dev.wgpr.testing.lab.CommandResult;
import dev.wgpr.testing.lab.LabProcess;
import dev.wgpr.testing.lab.Namespace;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code dnsResolver = "file"} on a host with a plain {@code /etc/resolv.conf}, through {@code wg-pr up},
 * {@code reload}, {@code down} and a SIGKILL'ed daemon: while up the file names the link's own address
 * and keeps the host's search and options lines; afterwards it is the original byte for byte, as a file
 * or as a symlink; a forwarder takes its upstream from the original, not from the file. Each test has its
 * own host ({@link ResolverHost}: the machine's file is never touched).
 */
@RequiresRoot
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
class ManagedResolvConfTest {
    private static final String LAN_DNS = "192.0.2.53";
    private static final String HOSTS_OWN =
            "# the LAN's resolver\nnameserver " + LAN_DNS + "\nsearch lan.example\noptions edns0\n";

    private ResolverHost host;
    private PrivateEtc etc;

    @BeforeEach
    void plainHost(NetnsLab lab) throws Exception {
        host = ResolverHost.start(lab, "");
        etc = host.etc;
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (host != null) {
            host.close();
        }
    }

    /** Tunnel wgprd0, which has the file managed, at {@code addresses}. */
    private static Path config(String addresses) throws Exception {
        return ResolverHost.dnsConfig("wgprd0", 10, addresses, "\"corp.example\"", "file");
    }

    @Test
    void whileUpTheFileNamesTheLinkAndDownPutsTheOriginalBackByteForByte() throws Exception {
        etc.write("/etc/resolv.conf", HOSTS_OWN);
        etc.run("chmod", "640", "/etc/resolv.conf");
        String before = etc.resolvConf();

        host.succeeds("up", config("\"10.79.0.2/32\", \"fd79::2/128\"").toString());
        String up = etc.resolvConf();
        assertTrue(up.contains("nameserver 10.79.0.2\nnameserver fd79::2\n"), up);
        assertTrue(up.contains("search lan.example\noptions edns0\n"), up);
        assertFalse(up.contains("192.0.2.53"), "the host's own server is no longer asked first: " + up);
        assertTrue(up.startsWith("mode 640\n"), "the original's mode kept: " + up);
        Result status = Cli.root(host.instance).run("status");
        assertTrue(status.out().contains("file: asks 10.79.0.2, fd79::2 for ~corp.example"), status::toString);

        host.succeeds("down", "wgprd0");
        assertEquals(before, etc.resolvConf());
        assertFalse(Files.exists(host.instance.resolverStateDirectory().resolve("resolv.conf.original")));
    }

    @Test
    void aReloadThatChangesTheLinksAddressRewritesTheFileAndDownStillRestoresTheOriginal() throws Exception {
        etc.write("/etc/resolv.conf", HOSTS_OWN);
        String before = etc.resolvConf();
        host.succeeds("up", config("\"10.79.0.2/32\"").toString());

        host.succeeds("reload", config("\"10.79.0.3/32\"").toString());
        String reloaded = etc.resolvConf();
        assertTrue(reloaded.contains("nameserver 10.79.0.3\n"), reloaded);
        assertFalse(reloaded.contains("10.79.0.2"), reloaded);

        host.succeeds("down", "wgprd0");
        assertEquals(before, etc.resolvConf());
    }

    @Test
    void aSymlinkedResolvConfIsASymlinkToTheSameTargetAgainAfterDown() throws Exception {
        Path target = etc.outside().resolve("managed-elsewhere.conf");
        Files.writeString(target, HOSTS_OWN);
        etc.run("rm", "-f", "/etc/resolv.conf");
        etc.run("ln", "-s", target.toString(), "/etc/resolv.conf");
        String before = etc.resolvConf();

        host.succeeds("up", config("\"10.79.0.2/32\"").toString());
        String up = etc.resolvConf();
        assertFalse(up.startsWith("symlink"), "replaced by a file while up: " + up);
        assertTrue(up.contains("nameserver 10.79.0.2\nsearch lan.example\n"), up);
        assertEquals(HOSTS_OWN, Files.readString(target), "the symlink's target is never written");

        host.succeeds("down", "wgprd0");
        assertEquals(before, etc.resolvConf());
        assertTrue(before.startsWith("symlink to " + target + "\n"), before);
    }

    /**
     * While tunnel wgprd0 holds the file it names only wgprd0's own forwarder; a forwarder started then
     * must take its upstream from the saved original, or it would send every public name to wgprd0's
     * (gone with wgprd0's down here; before, it asked a forwarder that asks itself).
     */
    @Test
    void aForwarderStartedWhileTheFileIsManagedTakesItsUpstreamFromTheOriginal() throws Exception {
        Namespace client = host.netns;
        client.up("lo").address("lo", LAN_DNS + "/32");
        List<String> dnsmasq =
                LabCommands.dnsmasq(LAN_DNS, List.of("--pid-file=", "--address=/www.public.example/198.51.100.7"));
        try (LabProcess lanDns = client.start(dnsmasq.toArray(String[]::new))) {
            etc.write("/etc/resolv.conf", HOSTS_OWN);
            String before = etc.resolvConf();
            host.succeeds("up", config("\"10.79.0.2/32\"").toString());
            assertTrue(etc.resolvConf().contains("nameserver 10.79.0.2\n"), "wgprd0 holds the file");
            host.succeeds(
                    "up",
                    ResolverHost.dnsConfig("wgprd4", 11, "\"10.79.1.2/32\"", "\"other.example\"", "none")
                            .toString());
            host.succeeds("down", "wgprd0");

            CommandResult dig = client.exec("dig", "+time=2", "+tries=1", "@10.79.1.2", "www.public.example");
            assertTrue(dig.stdout().contains("198.51.100.7"), "the original's server answered: " + dig.describe());
            assertTrue(lanDns.output().contains("query[A] www.public.example"), lanDns.output());

            host.succeeds("down", "wgprd4");
            assertEquals(before, etc.resolvConf());
        }
    }

    @Test
    void theNextDaemonAfterASigkillPutsTheOriginalBack() throws Exception {
        etc.write("/etc/resolv.conf", HOSTS_OWN);
        String before = etc.resolvConf();
        host.succeeds("up", config("\"10.79.0.2/32\"").toString());

        host.killDaemon();
        assertTrue(
                etc.resolvConf().contains("nameserver 10.79.0.2"), "the killed daemon's file stays until a next one");

        host.succeeds("daemon");
        assertEquals(before, etc.resolvConf());
        String log = Files.readString(host.instance.logFile());
        assertTrue(log.contains("restored /etc/resolv.conf as it was before tunnel wgprd0"), log);
    }
}
