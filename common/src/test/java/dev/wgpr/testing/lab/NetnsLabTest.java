package dev.wgpr.testing.lab;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.lab.Topologies.OnLan;
import dev.wgpr.testing.lab.Topologies.Routed;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Proves the lab with real traffic: every assertion here fails if the network is not what it claims. */
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
class NetnsLabTest {
    private static final int MIB = 1 << 20;

    @Test
    void vethJoinsTwoNamespacesForIpv4AndIpv6AndNothingElse(NetnsLab lab) {
        Namespace a = lab.namespace("a");
        Namespace b = lab.namespace("b");
        Namespace island = lab.namespace("island");
        Veth cable = lab.veth(a, b);
        cable.a().address("10.1.0.1/24", "fd00:1::1/64");
        cable.b().address("10.1.0.2/24", "fd00:1::2/64");
        // The island holds addresses of the same subnet, but no cable leads there.
        island.address("lo", "10.1.0.3/24", "fd00:1::3/64");

        assertEquals("eth0", cable.a().name());
        assertTrue(a.ping("10.1.0.2"), "a → b over IPv4");
        assertTrue(b.ping("fd00:1::1"), "b → a over IPv6, usable at once (no DAD)");
        assertTrue(island.ping("10.1.0.3"), "the island answers itself");
        assertFalse(a.ping("10.1.0.3"), "a must not reach the unconnected island over IPv4");
        assertFalse(a.ping("fd00:1::3"), "a must not reach the unconnected island over IPv6");
    }

    @Test
    void routedClientReachesServerAndInternetThroughTheRouter(NetnsLab lab) {
        Routed net = Topologies.routed(lab);

        for (String target : List.of(Routed.SERVER_V4, Routed.SERVER_V6, Routed.INTERNET_V4, Routed.INTERNET_V6)) {
            assertTrue(net.client().ping(target), "client → " + target);
        }
        assertTrue(
                net.client().routeGet(Routed.SERVER_V4).contains("via " + Routed.GATEWAY_V4 + " dev eth0"),
                net.client().routeGet(Routed.SERVER_V4));
        assertTrue(
                net.client().routeGet(Routed.SERVER_V6).contains("via " + Routed.GATEWAY_V6 + " dev eth0"),
                net.client().routeGet(Routed.SERVER_V6));

        // The router really is in the path: without forwarding the server is gone.
        net.router().sysctl("net.ipv4.ip_forward", "0");
        assertFalse(net.client().ping(Routed.SERVER_V4), "no forwarding, no path");
        assertTrue(net.client().ping(Routed.GATEWAY_V4), "the gateway itself still answers");
    }

    @Test
    void onLanServerIsOnLinkWhileTheInternetIsBehindTheGateway(NetnsLab lab) {
        OnLan net = Topologies.onLan(lab);

        assertTrue(net.client().ping(OnLan.SERVER_V4));
        assertTrue(net.client().ping(OnLan.SERVER_V6));
        assertTrue(net.client().ping(OnLan.INTERNET_V4));
        assertTrue(net.server().ping(OnLan.INTERNET_V6));
        String toServer = net.client().routeGet(OnLan.SERVER_V4);
        assertTrue(toServer.contains("dev eth0") && !toServer.contains("via"), toServer);
        String toInternet = net.client().routeGet(OnLan.INTERNET_V4);
        assertTrue(toInternet.contains("via " + OnLan.GATEWAY_V4), toInternet);
    }

    @Test
    void wireGuardGoTunnelCarriesTcpAndBothSidesSeeTheHandshake(NetnsLab lab) throws Exception {
        Routed net = Topologies.routed(lab);
        net.server().ip("address", "add", "10.20.0.10/32", "dev", "lo"); // an internal service address
        assertFalse(net.client().ping("10.20.0.10"), "internal address reachable without the tunnel");

        WireGuardGoPeer server = WireGuardGoPeer.start(net.server())
                .listenPort(51820)
                .address("10.8.0.1/24", "fd10:8::1/64")
                .up();
        WireGuardGoPeer client = WireGuardGoPeer.start(net.client())
                .address("10.8.0.2/24", "fd10:8::2/64")
                .up()
                .route("10.20.0.0/16");
        client.peer(server.publicKey(), Routed.SERVER_V4 + ":51820", "10.8.0.1/32", "fd10:8::1/128", "10.20.0.0/16");
        server.peer(client.publicKey(), null, "10.8.0.2/32", "fd10:8::2/128");

        assertTrue(client.namespace().ping("10.8.0.1"), "tunnel IPv4");
        assertTrue(client.namespace().ping("fd10:8::1"), "tunnel IPv6");

        // iperf3 through the tunnel to the internal address.
        LabProcess iperfServer = net.server().start("iperf3", "-s", "-1", "-B", "10.20.0.10", "-p", "5201");
        net.server().awaitTcpListener(5201, Duration.ofSeconds(5));
        CommandResult iperf = net.client().exec("iperf3", "-c", "10.20.0.10", "-p", "5201", "-n", "1M", "-J");
        assertTrue(iperf.succeeded(), iperf.describe());
        assertTrue(sentBytes(iperf.stdout()) >= MIB, "iperf3 sent " + sentBytes(iperf.stdout()));
        assertEquals(0, iperfServer.waitFor(Duration.ofSeconds(5)), iperfServer.output());

        // And byte for byte, with Java sockets opened inside the two namespaces.
        byte[] payload = new byte[MIB];
        new Random(42).nextBytes(payload);
        assertArrayEquals(sha256(payload), transfer(net.server(), net.client(), "10.20.0.10", 9000, payload));

        WgDump.Peer clientView = client.dump().peer(server.publicKey());
        WgDump.Peer serverView = server.dump().peer(client.publicKey());
        assertTrue(clientView.hasHandshake() && serverView.hasHandshake(), clientView + " / " + serverView);
        // At least the Java transfer's MiB (iperf3 may stop counting before all its data arrived).
        assertTrue(clientView.txBytes() > MIB, clientView.toString());
        assertTrue(serverView.rxBytes() > MIB, serverView.toString());
        assertTrue(clientView.rxBytes() > 0 && serverView.txBytes() > 0, "replies came back");
        assertEquals(
                Routed.CLIENT_V4 + ":" + client.dump().listenPort(), serverView.endpoint(), "server learned client");
        assertEquals(51820, server.dump().listenPort());
    }

    @Test
    void closeLeavesNoNamespaceProcessSocketOrFileBehind() {
        NetnsLab lab = NetnsLab.create();
        Routed net = Topologies.routed(lab);
        WireGuardGoPeer peer = WireGuardGoPeer.start(net.server()).listenPort(51820);
        LabProcess sleeper = net.client().start("sleep", "300");
        // A process the lab did not start itself: a background child left by a command.
        long orphan = Long.parseLong(net.router()
                .run("sh", "-c", "sleep 300 >/dev/null 2>&1 & echo $!")
                .strip());
        Leftovers before = Leftovers.of(lab, List.of(peer.process().pid(), sleeper.pid(), orphan), peer.socket());
        assertTrue(before.allPresent(), before.toString());

        lab.close();

        before.assertAllGone();
        lab.close(); // twice is fine
    }

    @Test
    void aSetupThatFailsHalfwayIsStillCleanedUp() {
        NetnsLab lab = NetnsLab.create();
        List<Long> pids = new ArrayList<>();
        Path socket = null;
        try (lab) {
            Namespace a = lab.namespace("a");
            WireGuardGoPeer peer = WireGuardGoPeer.start(a);
            pids.add(peer.process().pid());
            socket = peer.socket();
            lab.namespace("b");
            LabException e = assertThrows(LabException.class, () -> a.ip("link", "set", "nosuchdev", "up"));
            assertTrue(e.getMessage().contains("nosuchdev"), e.getMessage());
            throw e;
        } catch (LabException expected) {
            // try-with-resources has closed the lab by now
        }
        Leftovers.of(lab, pids, socket).assertAllGone();
        assertEquals(2, lab.namespaceNames().size());
    }

    @Test
    void aNamespaceWhoseCreationFailsIsStillRemoved() {
        NetnsLab lab = NetnsLab.create();
        Namespace a = lab.namespace("a");
        assertThrows(LabException.class, () -> a.address("eth9", "10.9.9.9/24"));
        assertThrows(IllegalArgumentException.class, () -> lab.namespace("a"));
        lab.close();
        Leftovers.of(lab, List.of(), null).assertAllGone();
        assertThrows(IllegalStateException.class, () -> lab.namespace("late"));
    }

    @Test
    void aLabAbandonedByADeadJvmIsSweptByTheNextOne() throws Exception {
        // Fake the remains of a JVM that was SIGKILLed: a marker naming a dead process, its
        // namespace with a process still running inside, and a WireGuard socket.
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        String id = HexFormat.of().formatHex(new SecureRandom().generateSeed(3));
        String name = NetnsLab.NAME_PREFIX + id + "-client";
        Path socket = NetnsLab.WIREGUARD_SOCKET_DIR.resolve("wg" + id + "0.sock");
        Files.createDirectories(NetnsLab.MARKER_DIR);
        Files.createDirectories(NetnsLab.WIREGUARD_SOCKET_DIR);
        Files.writeString(NetnsLab.MARKER_DIR.resolve(id), "pid=" + gone.pid() + "\nstart=\nscratch=\n");
        Files.writeString(socket, "");
        assertEquals(0, new ProcessBuilder("ip", "netns", "add", name).start().waitFor());
        Process inside = new ProcessBuilder("ip", "netns", "exec", name, "sleep", "300").start();
        try {
            // The sweep finds processes by namespace: wait until this one is in it, however loaded the machine.
            while (new String(
                            new ProcessBuilder("ip", "netns", "pids", name)
                                    .start()
                                    .getInputStream()
                                    .readAllBytes(),
                            StandardCharsets.US_ASCII)
                    .isBlank()) {
                assertTrue(inside.isAlive(), "ip netns exec ended early");
                Thread.sleep(10);
            }
            NetnsLab.create().close();

            assertFalse(Files.exists(Path.of("/run/netns", name)), name + " survived the sweep");
            assertTrue(inside.waitFor(5, TimeUnit.SECONDS), "process in it still runs");
            assertFalse(Files.exists(socket));
            assertFalse(Files.exists(NetnsLab.MARKER_DIR.resolve(id)));
        } finally {
            inside.destroyForcibly();
            new ProcessBuilder("ip", "netns", "delete", name).start().waitFor();
            Files.deleteIfExists(socket);
            Files.deleteIfExists(NetnsLab.MARKER_DIR.resolve(id));
        }
    }

    /** What a lab made, checked on the real system: namespaces, processes, sockets, scratch files. */
    record Leftovers(NetnsLab lab, List<Long> pids, Path socket) {
        static Leftovers of(NetnsLab lab, List<Long> pids, Path socket) {
            return new Leftovers(lab, List.copyOf(pids), socket);
        }

        boolean allPresent() {
            return listedNamespaces().containsAll(lab.namespaceNames())
                    && pids.stream().allMatch(Leftovers::alive)
                    && (socket == null || Files.exists(socket))
                    && Files.isDirectory(lab.scratchDir());
        }

        void assertAllGone() {
            List<String> listed = listedNamespaces();
            for (String name : lab.namespaceNames()) {
                assertFalse(listed.contains(name), name + " still in `ip netns list`: " + listed);
            }
            for (long pid : pids) {
                assertFalse(alive(pid), "process " + pid + " still runs");
            }
            if (socket != null) {
                assertFalse(Files.exists(socket), socket + " still exists");
            }
            assertFalse(Files.exists(lab.scratchDir()), lab.scratchDir() + " still exists");
            assertFalse(Files.exists(NetnsLab.MARKER_DIR.resolve(lab.id())), "marker still exists");
            try (var sockets = Files.exists(NetnsLab.WIREGUARD_SOCKET_DIR)
                    ? Files.list(NetnsLab.WIREGUARD_SOCKET_DIR)
                    : Stream.<Path>empty()) {
                assertTrue(
                        sockets.noneMatch(p -> p.getFileName().toString().contains(lab.id())),
                        "a socket of lab " + lab.id() + " remains");
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }

        private static boolean alive(long pid) {
            return ProcessHandle.of(pid).filter(Processes::running).isPresent();
        }

        private static List<String> listedNamespaces() {
            try {
                Process p = new ProcessBuilder("ip", "netns", "list").start();
                String out = new String(p.getInputStream().readAllBytes());
                p.waitFor();
                return out.lines().map(line -> line.split(" ")[0]).toList();
            } catch (IOException | InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    private static final Pattern SUM_SENT_BYTES = Pattern.compile("\"sum_sent\":\\s*\\{[^}]*?\"bytes\":\\s*(\\d+)");

    private static long sentBytes(String iperfJson) {
        Matcher m = SUM_SENT_BYTES.matcher(iperfJson);
        if (!m.find()) {
            throw new AssertionError("no sum_sent in iperf3 output: " + iperfJson);
        }
        return Long.parseLong(m.group(1));
    }

    /**
     * Sends {@code payload} from a socket in {@code from} to a listener in {@code to} and returns the
     * SHA-256 of what arrived. Each socket is created on a thread inside its namespace.
     */
    private static byte[] transfer(Namespace to, Namespace from, String address, int port, byte[] payload)
            throws Exception {
        try (ServerSocket listener = to.call(() -> new ServerSocket(port, 1, InetAddress.getByName(address)))) {
            CompletableFuture<byte[]> received = CompletableFuture.supplyAsync(() -> {
                try (Socket accepted = listener.accept();
                        DataInputStream in = new DataInputStream(accepted.getInputStream())) {
                    byte[] data = new byte[payload.length];
                    in.readFully(data);
                    return sha256(data);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            try (Socket socket = from.call(() -> {
                        Socket s = new Socket();
                        s.connect(new InetSocketAddress(address, port), 5000);
                        return s;
                    });
                    OutputStream out = socket.getOutputStream()) {
                out.write(payload);
            }
            return received.get(10, TimeUnit.SECONDS);
        }
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
