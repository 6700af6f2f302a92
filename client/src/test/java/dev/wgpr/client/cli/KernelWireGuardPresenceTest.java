package dev.wgpr.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelWireGuardPresenceTest {
    private static final String RELEASE = "6.12.95+deb12-amd64";

    private static Path system(Path root, String modulesDep) throws IOException {
        Files.createDirectories(root.resolve("proc/sys/kernel"));
        Files.writeString(root.resolve("proc/sys/kernel/osrelease"), RELEASE + "\n");
        Path modules = Files.createDirectories(root.resolve("lib/modules").resolve(RELEASE));
        Files.writeString(modules.resolve("modules.dep"), modulesDep);
        return root;
    }

    @Test
    void aLoadedModuleMeansTheKernelBackend(@TempDir Path root) throws IOException {
        system(root, "");
        Files.createDirectories(root.resolve("sys/module/wireguard"));
        KernelWireGuardPresence presence = KernelWireGuardPresence.under(root);
        assertEquals(KernelWireGuardPresence.LOADED, presence);
        assertTrue(presence.kernelBackend());
    }

    @Test
    void aModuleOnDiskThatIsNotLoadedMeansTheKernelBackendToo(@TempDir Path root) throws IOException {
        system(
                root,
                "kernel/drivers/net/wireguard/wireguard.ko.xz: kernel/net/ipv6/ip6_udp_tunnel.ko.xz"
                        + " kernel/net/ipv4/udp_tunnel.ko.xz\n");
        KernelWireGuardPresence presence = KernelWireGuardPresence.under(root);
        assertEquals(KernelWireGuardPresence.MODULE, presence);
        assertTrue(presence.kernelBackend());
        assertTrue(presence.because().contains("up loads it"), presence.because());
    }

    @Test
    void aKernelBuiltWithWireGuardInsideCountsAsHavingTheModule(@TempDir Path root) throws IOException {
        system(root, "");
        Files.writeString(
                root.resolve("lib/modules").resolve(RELEASE).resolve("modules.builtin"),
                "kernel/drivers/net/wireguard/wireguard.ko\n");
        assertEquals(KernelWireGuardPresence.MODULE, KernelWireGuardPresence.under(root));
    }

    @Test
    void noModuleAnywhereMeansTheUserspaceBackend(@TempDir Path root) throws IOException {
        system(root, "kernel/drivers/net/tun.ko.xz:\n");
        KernelWireGuardPresence presence = KernelWireGuardPresence.under(root);
        assertEquals(KernelWireGuardPresence.ABSENT, presence);
        assertFalse(presence.kernelBackend());
        assertTrue(presence.because().contains("no WireGuard module"), presence.because());
    }
}
