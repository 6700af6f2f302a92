package dev.wgpr.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.lab.CommandResult;
import dev.wgpr.testing.lab.Namespace;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import dev.wgpr.testing.lab.Topologies;
import dev.wgpr.testing.lab.Topologies.Routed;
import dev.wgpr.testing.lab.WgDump;
import dev.wgpr.testing.lab.WireGuardGoPeer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code wg-pr device} as a drop-in for wireguard-go: started, configured and observed only through the
 * standard tools ({@code wg}, {@code ip}), against the real wireguard-go.
 */
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
@Timeout(120)
class DeviceCommandTest {
    /** {@code java … dev.wgpr.client.cli.Main device ARGS…}, this test's JVM and class path. */
    static List<String> wgPr(String... args) {
        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED",
                "-XX:+UseSerialGC",
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName()));
        command.addAll(List.of(args));
        return command;
    }

    @Test
    void wgPrDeviceCarriesTrafficWithWireGuardGoAndWgShowAgreesOnBothSides(NetnsLab lab) throws Exception {
        Routed net = Topologies.routed(lab);
        WireGuardGoPeer server = WireGuardGoPeer.start(net.server()).listenPort(51820);
        server.address("10.8.0.1/24", "fd10:8::1/64").up();
        String iface = lab.interfaceName("wg");
        WireGuardGoPeer client = WireGuardGoPeer.start(net.client(), iface, wgPr("device", "--foreground", iface));
        client.address("10.8.0.2/24", "fd10:8::2/64").up();
        client.peer(server.publicKey(), Routed.SERVER_V4 + ":51820", "10.8.0.0/24", "fd10:8::/64");
        server.peer(client.publicKey(), null, "10.8.0.2/32", "fd10:8::2/128");

        assertTrue(awaitPing(net.client(), "10.8.0.1"), "ping through wg-pr device to wireguard-go");
        assertTrue(net.server().ping("fd10:8::2"), "and back over IPv6");
        for (int i = 0; i < 5; i++) {
            assertTrue(net.client().ping("10.8.0.1"));
        }
        Thread.sleep(300);

        WgDump ours = client.dump();
        WgDump theirs = server.dump();
        WgDump.Peer serverAtClient = ours.peer(server.publicKey());
        WgDump.Peer clientAtServer = theirs.peer(client.publicKey());
        assertTrue(ours.listenPort() > 0, "wg show reports the port the device bound");
        assertNotNull(serverAtClient.latestHandshake(), "wg show reports our handshake");
        assertNotNull(clientAtServer.latestHandshake());
        assertTrue(
                Duration.between(serverAtClient.latestHandshake(), clientAtServer.latestHandshake())
                                .abs()
                                .toSeconds()
                        <= 1,
                "both sides date the handshake alike: " + serverAtClient + " / " + clientAtServer);
        assertEquals(serverAtClient.txBytes(), clientAtServer.rxBytes(), "bytes we sent = bytes they got");
        assertEquals(serverAtClient.rxBytes(), clientAtServer.txBytes(), "bytes they sent = bytes we got");
        assertEquals(Routed.SERVER_V4 + ":51820", serverAtClient.endpoint());
        assertEquals(List.of("10.8.0.0/24", "fd10:8::/64"), serverAtClient.allowedIps());
        assertTrue(clientAtServer.endpoint().startsWith(Routed.CLIENT_V4 + ":" + ours.listenPort()));
    }

    @Test
    void wgSetChangesKeyPortAndPeersOfTheRunningDevice(NetnsLab lab) throws Exception {
        Routed net = Topologies.routed(lab);
        WireGuardGoPeer server = WireGuardGoPeer.start(net.server()).listenPort(51820);
        server.address("10.8.0.1/24").up();
        String iface = lab.interfaceName("wg");
        WireGuardGoPeer client = WireGuardGoPeer.start(net.client(), iface, wgPr("device", "--foreground", iface));
        client.address("10.8.0.2/24").up();
        client.peer(server.publicKey(), Routed.SERVER_V4 + ":51820", "10.8.0.0/24");
        server.peer(client.publicKey(), null, "10.8.0.2/32");
        assertTrue(awaitPing(net.client(), "10.8.0.1"));

        // A new listen port: wg show reports it and the server follows the client there (roaming).
        client.listenPort(40001);
        assertEquals(40001, client.dump().listenPort());
        assertTrue(awaitPing(net.client(), "10.8.0.1"));
        assertEquals(
                Routed.CLIENT_V4 + ":40001",
                server.dump().peer(client.publicKey()).endpoint());

        // A new private key: old sessions end; once the server knows the new public key, traffic resumes.
        Path key = lab.scratchDir().resolve("new.key");
        String privateKey = net.client().run("wg", "genkey").strip();
        Files.writeString(key, privateKey + "\n");
        client.wg("set", iface, "private-key", key.toString());
        String publicKey = client.wg("show", iface, "public-key").strip();
        assertTrue(!publicKey.equals(client.publicKey()));
        server.wg("set", server.iface(), "peer", client.publicKey(), "remove");
        server.peer(publicKey, null, "10.8.0.2/32");
        assertTrue(awaitPing(net.client(), "10.8.0.1"), "traffic under the new key");

        // Removing the peer stops the traffic; wg show lists no peer.
        client.wg("set", iface, "peer", server.publicKey(), "remove");
        assertTrue(client.dump().peers().isEmpty());
        assertTrue(!net.client().ping("10.8.0.1"), "no peer, no route through the tunnel");
    }

    @Test
    void returnsOnceInterfaceAndSocketExistAndStopsWhenTheInterfaceIsDeleted(NetnsLab lab) throws Exception {
        Namespace ns = lab.namespace("solo");
        String iface = lab.interfaceName("wg");
        Path socket = Path.of("/var/run/wireguard", iface + ".sock");
        lab.deleteOnClose(socket);

        CommandResult started =
                ns.exec(Duration.ofSeconds(60), wgPr("device", iface).toArray(String[]::new));
        assertEquals(0, started.exitCode(), started.describe());
        assertTrue(Files.exists(socket), "the UAPI socket exists when the command returns");
        assertTrue(ns.exec("ip", "link", "show", iface).succeeded(), "so does the interface");
        assertTrue(ns.run("wg", "show", iface).contains("listening port"));

        ns.ip("link", "del", iface);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (Files.exists(socket)) {
            assertTrue(System.nanoTime() < deadline, "the device removes its socket once the interface is gone");
            Thread.sleep(20);
        }
        deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!pidsIn(ns).isBlank()) {
            assertTrue(System.nanoTime() < deadline, "the device process exits");
            Thread.sleep(20);
        }
    }

    @Test
    void wgQuickBringsUpAndTearsDownATunnelWithWgPrAsItsUserspaceImplementation(NetnsLab lab) throws Exception {
        Routed net = Topologies.routed(lab);
        WireGuardGoPeer server = WireGuardGoPeer.start(net.server()).listenPort(51820);
        server.address("10.8.0.1/24").up();
        String iface = lab.interfaceName("wg");
        Path socket = Path.of("/var/run/wireguard", iface + ".sock");
        lab.deleteOnClose(socket);

        // wg-quick runs `$WG_QUICK_USERSPACE_IMPLEMENTATION IFACE`: a one-line wrapper makes that wg-pr.
        Path wrapper = lab.scratchDir().resolve("wg-pr-device");
        Files.writeString(
                wrapper,
                "#!/bin/sh\nexec "
                        + String.join(
                                " ",
                                wgPr("device").stream()
                                        .map(DeviceCommandTest::quoted)
                                        .toList()) + " \"$@\"\n");
        wrapper.toFile().setExecutable(true);
        String privateKey = net.client().run("wg", "genkey").strip();
        Path config = lab.scratchDir().resolve(iface + ".conf");
        Files.writeString(
                config,
                String.join(
                        "\n",
                        "[Interface]",
                        "PrivateKey = " + privateKey,
                        "Address = 10.8.0.2/24",
                        "",
                        "[Peer]",
                        "PublicKey = " + server.publicKey(),
                        "Endpoint = " + Routed.SERVER_V4 + ":51820",
                        "AllowedIPs = 10.8.0.0/24",
                        ""));
        String publicKey = net.client()
                .exec(Duration.ofSeconds(5), "sh", "-c", "echo " + privateKey + " | wg pubkey")
                .stdout()
                .strip();
        server.peer(publicKey, null, "10.8.0.2/32");

        CommandResult up = net.client()
                .exec(
                        Duration.ofSeconds(60),
                        "env",
                        "WG_QUICK_USERSPACE_IMPLEMENTATION=" + wrapper,
                        "wg-quick",
                        "up",
                        config.toString());
        assertEquals(0, up.exitCode(), up.describe());
        assertTrue(up.stderr().contains("userspace implementation"), up.stderr());
        assertTrue(awaitPing(net.client(), "10.8.0.1"), "the tunnel wg-quick configured carries traffic");

        CommandResult down = net.client().exec(Duration.ofSeconds(30), "wg-quick", "down", config.toString());
        assertEquals(0, down.exitCode(), down.describe());
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (Files.exists(socket) || !pidsIn(net.client()).isBlank()) {
            assertTrue(System.nanoTime() < deadline, "the device exits after wg-quick down");
            Thread.sleep(20);
        }
    }

    private static String quoted(String word) {
        return "'" + word.replace("'", "'\\''") + "'";
    }

    /** {@code ip netns pids NAME}, run from outside the namespace (so it does not count itself). */
    private static String pidsIn(Namespace ns) throws java.io.IOException, InterruptedException {
        Process ip = new ProcessBuilder("ip", "netns", "pids", ns.name())
                .redirectErrorStream(true)
                .start();
        String out = new String(ip.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        ip.waitFor();
        return out.strip();
    }

    private static boolean awaitPing(Namespace ns, String address) {
        for (int i = 0; i < 10; i++) {
            if (ns.ping(address)) {
                return true;
            }
        }
        return false;
    }
}
