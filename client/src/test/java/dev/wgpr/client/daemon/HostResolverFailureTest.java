package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.daemon.DaemonTesting.Cli;
import dev.wgpr.client.daemon.DaemonTesting.Result;
import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.RequiresRoot;
import dev.wgpr.testing.lab.Namespace;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** When the host's resolver cannot be told, {@code up} fails with the reason and leaves nothing behind. */
@RequiresRoot
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
class HostResolverFailureTest {
    private final Instance instance = DaemonTesting.uniqueInstance();

    @AfterEach
    void cleanUp() throws Exception {
        DaemonTesting.cleanUp(instance);
    }

    @Test
    void upAskingForSystemdResolvedWhereNoneIsOnTheBusFailsAndLeavesNoInterface(NetnsLab lab) throws Exception {
        Namespace ns = lab.namespace("client");
        // A system bus of the test's own with nobody on it (the machine's /run/dbus is left alone).
        PrivateEtc host = PrivateEtc.create(
                List.of("nsenter", "--net=/run/netns/" + ns.name(), "--"), "mount -t tmpfs tmpfs /run/dbus");
        try {
            Cli cli = Cli.root(instance).inNetns(ns.name()).inMountNamespace(host.namespace());
            Result up = cli.run(
                    "up", DaemonTesting.config("dns-no-resolved.toml", """
                                    [interface]
                                    name = "wgprd3"
                                    privateKey = "@OUR_PRIVATE_KEY@"
                                    address = ["10.79.0.2/32"]
                                    dns = ["10.79.10.53"]
                                    dnsDomains = ["corp.example"]
                                    dnsResolver = "systemd-resolved"

                                    [[peer]]
                                    name = "gw"
                                    publicKey = "@PEER_KEY@"
                                    allowedIPs = ["10.79.10.0/24"]
                                    """).toString());

            assertNotEquals(0, up.exitCode(), up::toString);
            assertTrue(up.err().contains("systemd-resolved is not on the system bus"), up::toString);
            assertFalse(ns.ip("link").contains("wgprd3"), "the rollback took the interface away");
            assertTrue(
                    Cli.root(instance).run("status").out().contains("no tunnels")
                            || !Cli.root(instance).run("status").out().contains("wgprd3"),
                    "no tunnel is up");
        } finally {
            host.close();
        }
    }
}
