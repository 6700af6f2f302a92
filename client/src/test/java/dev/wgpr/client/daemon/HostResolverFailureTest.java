package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.daemon.DaemonTesting.Cli;
import dev.wgpr.client.daemon.DaemonTesting.Result;
import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.RequiresRoot;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** When the host's resolver cannot be told, {@code up} fails with the reason and leaves nothing behind. */
@RequiresRoot
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
class HostResolverFailureTest {
    @Test
    void upAskingForSystemdResolvedWhereNoneIsOnTheBusFailsAndLeavesNoInterface(NetnsLab lab) throws Exception {
        // A system bus of the test's own with nobody on it (the machine's /run/dbus is left alone).
        ResolverHost host = ResolverHost.start(lab, "mount -t tmpfs tmpfs /run/dbus");
        try {
            Result up = host.cli()
                    .run(
                            "up",
                            ResolverHost.dnsConfig(
                                            "wgprd3", 10, "\"10.79.0.2/32\"", "\"corp.example\"", "systemd-resolved")
                                    .toString());

            assertNotEquals(0, up.exitCode(), up::toString);
            assertTrue(up.err().contains("systemd-resolved is not on the system bus"), up::toString);
            assertFalse(host.netns.ip("link").contains("wgprd3"), "the rollback took the interface away");
            String status = Cli.root(host.instance).run("status").out();
            assertTrue(status.contains("no tunnels") || !status.contains("wgprd3"), "no tunnel is up: " + status);
        } finally {
            host.close();
        }
    }
}
