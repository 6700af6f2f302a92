package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.wgpr.client.daemon.DaemonTesting.Cli;
import dev.wgpr.client.daemon.DaemonTesting.Result;
import dev.wgpr.routes.netlink.KernelWireGuard;
import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.RequiresRoot;
import dev.wgpr.testing.lab.Namespace;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code backend} in {@code [interface]} through {@code wg-pr up}: kernel WireGuard where the kernel has it,
 * wg-pr's userspace WireGuard where it does not (auto), and a clear refusal that changes nothing when the
 * config insists on a kernel WireGuard this kernel lacks.
 */
@RequiresRoot
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
class BackendChoiceTest {
    private static final String CONFIG = """
            [interface]
            name = "wgprk0"
            privateKey = "@OUR_PRIVATE_KEY@"
            address = ["10.78.0.2/32"]
            %s

            [[peer]]
            name = "gw"
            publicKey = "@PEER_KEY@"
            endpoint = "192.0.2.1:51820"
            allowedIPs = ["10.78.10.0/24"]

            [[peer.allowedApps]]
            name = "cat"
            exec = "/usr/bin/cat"
            """;

    private final Instance instance = DaemonTesting.uniqueInstance();

    @AfterEach
    void cleanUp() throws Exception {
        DaemonTesting.cleanUp(instance);
    }

    @Test
    void backendKernelWhereTheKernelHasNoWireGuardFailsBeforeChangingAnything(NetnsLab lab) throws Exception {
        assumeTrue(KernelWireGuard.unavailableReason().isPresent(), "this kernel has WireGuard");
        Namespace ns = lab.namespace("client");
        Path config = DaemonTesting.config("kernel.toml", CONFIG.formatted("backend = \"kernel\""));
        Cli cli = Cli.root(instance).inNetns(ns.name());

        Result up = cli.run("up", config.toString());

        assertEquals(1, up.exitCode(), up::toString);
        assertTrue(
                up.err().contains("interface.backend is \"kernel\", but this kernel has no WireGuard module"),
                up::toString);
        assertTrue(up.err().contains("kernel.toml"), "the file is named: " + up);
        assertFalse(ns.ip("link").contains("wgprk0"), "no interface was created");
        assertFalse(ns.ip("route").contains("10.78.10.0"), "no route was added");
        Result status = Cli.root(instance).run("status", "--json");
        assertTrue(status.out().contains("\"tunnels\":[]"), status::toString);
        assertFalse(Files.exists(instance.cgroupSubtree(DaemonTesting.cgroup2())), "no app cgroup was made");
    }

    @Test
    void backendAutoWhereTheKernelHasNoWireGuardRunsTheUserspaceOneAndStatusSaysSo(NetnsLab lab) throws Exception {
        assumeTrue(KernelWireGuard.unavailableReason().isPresent(), "this kernel has WireGuard");
        Namespace ns = lab.namespace("client");
        Path config = DaemonTesting.config("auto.toml", CONFIG.formatted("backend = \"auto\""));
        Cli cli = Cli.root(instance).inNetns(ns.name());

        Result up = cli.run("up", config.toString());

        assertEquals(0, up.exitCode(), up::toString);
        Result json = Cli.root(instance).run("status", "--json");
        assertTrue(json.out().contains("\"backend\":\"userspace\""), json::toString);
        Result status = Cli.root(instance).run("status");
        assertTrue(
                status.out().matches("(?s).*backend +userspace \\(wg-pr's own WireGuard on a TUN interface\\).*"),
                status::toString);
        assertTrue(ns.ip("-d", "link", "show", "wgprk0").contains("tun"), "a TUN interface");
        assertEquals(0, cli.run("down", "wgprk0").exitCode());
    }

    @Test
    void backendAutoWhereTheKernelHasWireGuardRunsTheKernelOneAndDownRemovesIt(NetnsLab lab) throws Exception {
        assumeTrue(KernelWireGuard.unavailableReason().isEmpty(), "this kernel has no WireGuard");
        Namespace ns = lab.namespace("client");
        Path config = DaemonTesting.config("auto.toml", CONFIG.formatted(""));
        Cli cli = Cli.root(instance).inNetns(ns.name());

        Result up = cli.run("up", config.toString());

        assertEquals(0, up.exitCode(), up::toString);
        assertTrue(ns.ip("-d", "link", "show", "wgprk0").contains("wireguard"), "a kernel WireGuard interface");
        Result json = Cli.root(instance).run("status", "--json");
        assertTrue(json.out().contains("\"backend\":\"kernel\""), json::toString);
        assertTrue(ns.ip("route").contains("10.78.10.0/24 dev wgprk0"), "routed as on the userspace backend");
        assertEquals(0, cli.run("down", "wgprk0").exitCode());
        assertFalse(ns.ip("link").contains("wgprk0"), "down deleted the kernel interface");
    }
}
