package dev.wgpr.tunnel.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import dev.wgpr.testing.lab.Topologies;
import dev.wgpr.testing.lab.Topologies.Routed;
import dev.wgpr.testing.lab.WireGuardGoPeer;
import dev.wgpr.tunnel.crypto.Key;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * wg-pr's device against the real wireguard-go, across the lab's routed topology: wg-pr in the client
 * namespace (in this JVM), wireguard-go in the server namespace.
 */
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
class DeviceInteropTest {
    static final String SERVER_ENDPOINT = Routed.SERVER_V4 + ":51820";

    private static WireGuardGoPeer wireguardGoServer(Routed net) {
        return WireGuardGoPeer.start(net.server())
                .listenPort(51820)
                .address("10.8.0.1/24", "fd10:8::1/64")
                .up();
    }

    /** Reversed roles: wireguard-go calls in from the client namespace ... */
    private static WireGuardGoPeer wireguardGoClient(Routed net) {
        return WireGuardGoPeer.start(net.client()).address("10.8.0.2/24").up();
    }

    /** ... to wg-pr listening in the server namespace; each has the other as its peer. */
    private static WgPrEnd wgPrServerOf(Routed net, WireGuardGoPeer client) throws IOException {
        WgPrEnd server = WgPrEnd.start(net.server(), "10.8.0.1/24").listenPort(51820);
        server.peer(key(client), null, "10.8.0.2/32");
        client.peer(server.publicKey().toBase64(), SERVER_ENDPOINT, "10.8.0.0/24");
        return server;
    }

    private static Key key(WireGuardGoPeer peer) {
        return Key.fromBase64(peer.publicKey());
    }

    @Test
    void clientInitiatesAndCarriesTcpAndUdpBothWaysOverIpv4AndIpv6(NetnsLab lab) throws Exception {
        Routed net = Topologies.routed(lab);
        WireGuardGoPeer server = wireguardGoServer(net);
        try (WgPrEnd client = WgPrEnd.start(net.client(), "10.8.0.2/24", "fd10:8::2/64")) {
            client.peer(key(server), SERVER_ENDPOINT, "10.8.0.0/24", "fd10:8::/64");
            server.peer(client.publicKey().toBase64(), null, "10.8.0.2/32", "fd10:8::2/128");

            assertTrue(net.client().ping("10.8.0.1"), "ping through the tunnel");
            Traffic.tcp(net.client(), net.server(), "10.8.0.1", 1 << 20);
            Traffic.tcp(net.server(), net.client(), "10.8.0.2", 1 << 20);
            Traffic.tcp(net.client(), net.server(), "fd10:8::1", 1 << 20);
            Traffic.tcp(net.server(), net.client(), "fd10:8::2", 1 << 20);
            Traffic.udp(net.client(), net.server(), "10.8.0.1", 200);
            Traffic.udp(net.server(), net.client(), "10.8.0.2", 200);
            Traffic.udp(net.client(), net.server(), "fd10:8::1", 200);
            Traffic.udp(net.server(), net.client(), "fd10:8::2", 200);
        }
    }

    @Test
    void carriesIpv4AndIpv6OverAnIpv6Underlay(NetnsLab lab) throws Exception {
        Routed net = Topologies.routed(lab);
        WireGuardGoPeer server = wireguardGoServer(net);
        try (WgPrEnd client = WgPrEnd.start(net.client(), "10.8.0.2/24", "fd10:8::2/64")) {
            client.peer(key(server), "[" + Routed.SERVER_V6 + "]:51820", "10.8.0.0/24", "fd10:8::/64");
            server.peer(client.publicKey().toBase64(), null, "10.8.0.2/32", "fd10:8::2/128");

            assertTrue(DeviceInteropTestSupport.pingWithin(net.client(), "fd10:8::1", 3));
            Traffic.tcp(net.client(), net.server(), "10.8.0.1", 1 << 20);
            Traffic.tcp(net.server(), net.client(), "fd10:8::2", 1 << 20);
            String endpoint = server.dump().peer(client.publicKey().toBase64()).endpoint();
            assertEquals(
                    "[" + Routed.CLIENT_V6 + "]:" + client.device().listenPort(),
                    endpoint,
                    "wireguard-go sees us over IPv6");
        }
    }

    @Test
    void wireguardGoInitiatesAndWgPrLearnsItsEndpoint(NetnsLab lab) throws Exception {
        Routed net = Topologies.routed(lab);
        WireGuardGoPeer client = wireguardGoClient(net);
        try (WgPrEnd server = wgPrServerOf(net, client)) {

            assertTrue(net.client().ping("10.8.0.1"), "wireguard-go's ping through wg-pr");
            Traffic.tcp(net.server(), net.client(), "10.8.0.2", 1 << 20);
            Traffic.udp(net.server(), net.client(), "10.8.0.2", 100);
            assertEquals(
                    Routed.CLIENT_V4,
                    server.status(key(client))
                            .settings()
                            .endpoint()
                            .orElseThrow()
                            .getAddress()
                            .getHostAddress());
        }
    }

    /**
     * wg-pr as responder keeps {@code DH(our static, their static)} per peer, computed once. After the
     * interface's private key changes, and then after the peer's key changes (wireguard-go takes a new
     * private key, wg-pr replaces the peer), wireguard-go's handshakes complete: a value left from the old
     * keys would fail them.
     */
    @Test
    void afterEitherSidesKeyChangesWireguardGosHandshakesComplete(NetnsLab lab) throws Exception {
        Routed net = Topologies.routed(lab);
        WireGuardGoPeer client = wireguardGoClient(net);
        try (WgPrEnd server = wgPrServerOf(net, client)) {
            awaitPing(net.client(), "10.8.0.1");

            Key serverKey = Key.generatePrivate();
            DeviceConfig before = server.device().configuration();
            server.device()
                    .configure(new DeviceConfig(
                            Optional.of(serverKey), before.listenPort(), before.fwmark(), before.peers()));
            client.wg("set", client.iface(), "peer", server.publicKey().toBase64(), "remove");
            client.peer(serverKey.publicKey().toBase64(), SERVER_ENDPOINT, "10.8.0.0/24");
            awaitPing(net.client(), "10.8.0.1");
            Traffic.tcp(net.client(), net.server(), "10.8.0.1", 256 << 10);

            Key oldClientKey = key(client);
            Key clientKey = Key.generatePrivate();
            Path keyFile = lab.scratchDir().resolve("new-client-key");
            Files.writeString(keyFile, clientKey.toBase64() + "\n");
            client.wg("set", client.iface(), "private-key", keyFile.toString());
            before = server.device().configuration();
            List<PeerSettings> others = before.peers().stream()
                    .filter(peer -> !peer.publicKey().equals(oldClientKey))
                    .toList();
            server.device()
                    .configure(new DeviceConfig(before.privateKey(), before.listenPort(), before.fwmark(), others)
                            .withPeer(PeerSettings.of(clientKey.publicKey(), null, IpPrefix.parse("10.8.0.2/32"))));
            awaitPing(net.client(), "10.8.0.1");
            Traffic.tcp(net.client(), net.server(), "10.8.0.1", 256 << 10);
            assertTrue(server.status(clientKey.publicKey()).lastHandshake().isPresent());
        }
    }

    @Test
    void worksWithAPresharedKeyAndFailsWithAWrongOne(NetnsLab lab) throws Exception {
        Routed net = Topologies.routed(lab);
        WireGuardGoPeer server = wireguardGoServer(net);
        Key psk = Key.generatePreshared();
        try (WgPrEnd client = WgPrEnd.start(net.client(), "10.8.0.2/24")) {
            client.peer(PeerSettings.of(key(server), WgPrEnd.endpoint(SERVER_ENDPOINT), IpPrefix.parse("10.8.0.0/24"))
                    .withPresharedKey(Key.generatePreshared()));
            Path pskFile = lab.scratchDir().resolve("psk");
            Files.writeString(pskFile, psk.toBase64() + "\n");
            server.wg(
                    "set",
                    server.iface(),
                    "peer",
                    client.publicKey().toBase64(),
                    "preshared-key",
                    pskFile.toString(),
                    "allowed-ips",
                    "10.8.0.2/32");

            assertFalse(net.client().ping("10.8.0.1"), "a wrong preshared key gets no session");
            assertFalse(client.status(key(server)).lastHandshake().isPresent());

            client.peer(PeerSettings.of(key(server), null, IpPrefix.parse("10.8.0.0/24"))
                    .withPresharedKey(psk));
            awaitPing(net.client(), "10.8.0.1");
            Traffic.tcp(net.client(), net.server(), "10.8.0.1", 256 << 10);
        }
    }

    @Test
    void rekeysAfterTheRekeyTimeAndTrafficContinues(NetnsLab lab) throws Exception {
        Routed net = Topologies.routed(lab);
        WireGuardGoPeer server = wireguardGoServer(net);
        Device.Options quickRekey = Device.Options.defaults().withRekeyAfterTime(TimeUnit.SECONDS.toNanos(2));
        try (WgPrEnd client = WgPrEnd.start(net.client(), quickRekey, "10.8.0.2/24")) {
            client.peer(key(server), SERVER_ENDPOINT, "10.8.0.0/24");
            server.peer(client.publicKey().toBase64(), null, "10.8.0.2/32");
            assertTrue(net.client().ping("10.8.0.1"));
            var first = client.device().currentKeypair(key(server)).orElseThrow();
            long initiations = client.device().initiationsSent.get();

            // Traffic past the rekey time (and past REKEY_TIMEOUT, the least time between initiations).
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (client.device().currentKeypair(key(server)).orElseThrow() == first) {
                assertTrue(System.nanoTime() < deadline, "no rekey within 15 s");
                net.client().ping("10.8.0.1");
                Thread.sleep(200);
            }
            var second = client.device().currentKeypair(key(server)).orElseThrow();
            assertNotEquals(first, second, "a new session replaced the first");
            assertTrue(second.isInitiator());
            assertTrue(client.device().initiationsSent.get() > initiations, "wg-pr initiated the rekey");
            Traffic.tcp(net.client(), net.server(), "10.8.0.1", 256 << 10);
            Traffic.tcp(net.server(), net.client(), "10.8.0.2", 256 << 10);
        }
    }

    @Test
    void serverLearnsTheClientsNewAddressWhenItRoams(NetnsLab lab) throws Exception {
        Routed net = Topologies.routed(lab);
        WireGuardGoPeer server = wireguardGoServer(net);
        try (WgPrEnd client = WgPrEnd.start(net.client(), "10.8.0.2/24")) {
            client.peer(key(server), SERVER_ENDPOINT, "10.8.0.0/24");
            server.peer(client.publicKey().toBase64(), null, "10.8.0.2/32");
            assertTrue(net.client().ping("10.8.0.1"));
            String before = server.dump().peer(client.publicKey().toBase64()).endpoint();
            assertTrue(before.startsWith(Routed.CLIENT_V4 + ":"), before);

            // The client moves to another address on its LAN (as after a DHCP change).
            net.client().ip("address", "del", "192.168.10.2/24", "dev", "eth0");
            net.client().ip("address", "add", "192.168.10.3/24", "dev", "eth0");
            net.client().defaultRoute(Routed.GATEWAY_V4);

            awaitPing(net.client(), "10.8.0.1");
            String after = server.dump().peer(client.publicKey().toBase64()).endpoint();
            assertEquals("192.168.10.3:" + client.device().listenPort(), after);
            Traffic.tcp(net.server(), net.client(), "10.8.0.2", 256 << 10);
        }
    }

    @Test
    void dropsPacketsWhoseInnerSourceIsNotThePeers(NetnsLab lab) throws Exception {
        Routed net = Topologies.routed(lab);
        WireGuardGoPeer server = wireguardGoServer(net);
        net.server().address("lo", "10.20.0.5/32");
        try (WgPrEnd client = WgPrEnd.start(net.client(), "10.8.0.2/24")) {
            client.peer(key(server), SERVER_ENDPOINT, "10.8.0.0/24");
            server.peer(client.publicKey().toBase64(), null, "10.8.0.2/32");
            assertTrue(net.client().ping("10.8.0.1"));
            long before = client.device().droppedSourceNotAllowed.sum();

            // wireguard-go sends it (it routes by destination); wg-pr must refuse the source 10.20.0.5.
            assertFalse(net.server()
                    .exec("ping", "-c1", "-W1", "-I", "10.20.0.5", "10.8.0.2")
                    .succeeded());
            assertTrue(client.device().droppedSourceNotAllowed.sum() > before);
        }
    }

    @Test
    void wgPrTalksToWgPr(NetnsLab lab) throws Exception {
        Routed net = Topologies.routed(lab);
        try (WgPrEnd server = WgPrEnd.start(net.server(), "10.8.0.1/24", "fd10:8::1/64")
                        .listenPort(51820);
                WgPrEnd client = WgPrEnd.start(net.client(), "10.8.0.2/24", "fd10:8::2/64")) {
            server.peer(client.publicKey(), null, "10.8.0.2/32", "fd10:8::2/128");
            client.peer(server.publicKey(), SERVER_ENDPOINT, "10.8.0.0/24", "fd10:8::/64");

            Traffic.tcp(net.client(), net.server(), "10.8.0.1", 1 << 20);
            Traffic.tcp(net.server(), net.client(), "fd10:8::2", 1 << 20);
            assertTrue(client.device().segmentedReads.sum() > 0, "the kernel passed TCP super-packets (TSO), IPv4");
            assertTrue(server.device().segmentedReads.sum() > 0, "and IPv6");
            assertTrue(server.device().joinedWrites() > 0, "received segments were joined for the kernel (GRO)");
            assertTrue(client.device().joinedWrites() > 0, "also over IPv6");
            assertTrue(client.device().udpOffloads()[0] > 0, "runs of datagrams went out as one message (UDP GSO)");
            assertTrue(server.device().udpOffloads()[1] > 0, "and came in joined (UDP GRO)");
            Traffic.udp(net.client(), net.server(), "fd10:8::1", 100);
            Traffic.udp(net.server(), net.client(), "10.8.0.2", 100);
            PeerStatus atClient = client.status(server.publicKey());
            PeerStatus atServer = server.status(client.publicKey());
            assertTrue(atClient.lastHandshake().isPresent()
                    && atServer.lastHandshake().isPresent());
            awaitQuiet();
            // A fast transfer may lose datagrams on the way (TCP resends them), so counters agree
            // exactly only over loss-free traffic: compare the growth over a few pings.
            long clientTx = client.status(server.publicKey()).txBytes();
            long serverRx = server.status(client.publicKey()).rxBytes();
            long serverTx = server.status(client.publicKey()).txBytes();
            long clientRx = client.status(server.publicKey()).rxBytes();
            for (int i = 0; i < 5; i++) {
                assertTrue(net.client().ping("10.8.0.1"));
            }
            awaitQuiet();
            atClient = client.status(server.publicKey());
            atServer = server.status(client.publicKey());
            assertEquals(atClient.txBytes() - clientTx, atServer.rxBytes() - serverRx, "what one sent, the other got");
            assertEquals(atServer.txBytes() - serverTx, atClient.rxBytes() - clientRx);
            assertTrue(atClient.txBytes() - clientTx >= 5 * (84 + 32), "five echo requests went out");
        }
    }

    @Test
    void keepsEachPeersPacketOrderWhileFourThreadsSealAndOpenInParallel(NetnsLab lab) throws Exception {
        Routed net = Topologies.routed(lab);
        Device.Options parallel = Device.Options.defaults().withCryptoThreads(4);
        try (WgPrEnd server = WgPrEnd.start(net.server(), parallel, "10.8.0.1/24", "fd10:8::1/64")
                        .listenPort(51820);
                WgPrEnd client = WgPrEnd.start(net.client(), parallel, "10.8.0.2/24", "fd10:8::2/64")) {
            server.peer(client.publicKey(), null, "10.8.0.2/32", "fd10:8::2/128");
            client.peer(server.publicKey(), SERVER_ENDPOINT, "10.8.0.0/24", "fd10:8::/64");
            assertTrue(DeviceInteropTestSupport.pingWithin(net.client(), "10.8.0.1", 3));

            // Sent in bursts, so both ends have several packets in flight at once; a busy machine may lose
            // some (UDP), but a packet overtaking another would fail at once.
            int arrived = Traffic.udpInOrder(net.client(), net.server(), "10.8.0.1", 3000, 1500);
            arrived += Traffic.udpInOrder(net.server(), net.client(), "fd10:8::2", 3000, 1500);
            System.out.println("parallel crypto: " + arrived + " of 6000 datagrams arrived, in order; on workers "
                    + client.device().cryptoOnWorkers() + " + "
                    + server.device().cryptoOnWorkers()
                    + "; drops client " + client.device().dropped() + " server "
                    + server.device().dropped());
            assertTrue(client.device().cryptoOnWorkers() > 0, "the client's workers sealed and opened some");
            assertTrue(server.device().cryptoOnWorkers() > 0, "so did the server's");
            // The offloads still work on parallel crypto: TSO in, GRO out, intact.
            Traffic.tcp(net.client(), net.server(), "10.8.0.1", 4 << 20);
            Traffic.tcp(net.server(), net.client(), "fd10:8::2", 4 << 20);
            assertTrue(client.device().segmentedReads.sum() > 0, "the kernel passed TCP super-packets (TSO)");
            assertTrue(client.device().joinedWrites() + server.device().joinedWrites() > 0, "segments joined (GRO)");
            assertEquals(0, client.device().dropped().get("REPLAYED_COUNTER"), "no counter came twice or too late");
            assertEquals(0, server.device().dropped().get("REPLAYED_COUNTER"));
        }
    }

    @Test
    void routesEachPeersPrefixesToThatPeerAmongSeveral(NetnsLab lab) throws Exception {
        Routed net = Topologies.routed(lab);
        // Two clients call one wg-pr server: wireguard-go from the client LAN, wg-pr from the Internet host.
        WireGuardGoPeer first =
                WireGuardGoPeer.start(net.client()).address("10.8.0.2/24").up();
        try (WgPrEnd server = WgPrEnd.start(net.server(), "10.8.0.1/24").listenPort(51820);
                WgPrEnd second = WgPrEnd.start(net.internet(), "10.8.0.3/24")) {
            server.peer(key(first), null, "10.8.0.2/32");
            server.peer(second.publicKey(), null, "10.8.0.3/32", "10.30.0.0/16");
            for (int i = 0; i < 5; i++) {
                server.peer(Key.generatePrivate().publicKey(), null, "10.40." + i + ".0/24"); // bystanders
            }
            first.peer(server.publicKey().toBase64(), SERVER_ENDPOINT, "10.8.0.0/24");
            second.peer(server.publicKey(), SERVER_ENDPOINT, "10.8.0.0/24");
            net.internet().address("lo", "10.30.0.7/32");

            assertTrue(DeviceInteropTestSupport.pingWithin(net.client(), "10.8.0.1", 3));
            assertTrue(DeviceInteropTestSupport.pingWithin(net.internet(), "10.8.0.1", 3));
            Traffic.tcp(net.server(), net.client(), "10.8.0.2", 256 << 10);
            Traffic.tcp(net.server(), net.internet(), "10.8.0.3", 256 << 10);
            net.server().routeDev("10.30.0.0/16", server.iface());
            Traffic.tcp(net.server(), net.internet(), "10.30.0.7", 64 << 10); // behind the second peer
            assertEquals(7, server.device().peers().size());
            assertTrue(server.status(key(first)).rxBytes() > 0
                    && server.status(second.publicKey()).rxBytes() > 0);
            assertEquals(
                    Routed.INTERNET_V4,
                    server.status(second.publicKey())
                            .settings()
                            .endpoint()
                            .orElseThrow()
                            .getAddress()
                            .getHostAddress());
        }
    }

    @Test
    void countsAndDropsGarbageDatagramsAndKeepsWorking(NetnsLab lab) throws Exception {
        Routed net = Topologies.routed(lab);
        WireGuardGoPeer client = wireguardGoClient(net);
        try (WgPrEnd server = wgPrServerOf(net, client)) {
            assertTrue(DeviceInteropTestSupport.pingWithin(net.client(), "10.8.0.1", 3));

            java.util.Random random = new java.util.Random(7);
            try (java.nio.channels.DatagramChannel attacker =
                    net.internet().call(java.nio.channels.DatagramChannel::open)) {
                var target = WgPrEnd.endpoint(SERVER_ENDPOINT);
                for (int i = 0; i < 2000; i++) {
                    byte[] garbage = new byte[random.nextInt(200)];
                    random.nextBytes(garbage);
                    if (garbage.length > 0 && i % 2 == 0) {
                        garbage[0] = 4; // transport data with a random index
                    }
                    if (garbage.length > 3) {
                        garbage[1] = garbage[2] = garbage[3] = 0;
                    }
                    attacker.send(java.nio.ByteBuffer.wrap(garbage), target);
                }
            }
            DeviceInteropTestSupport.awaitTrue(
                    () -> server.device().dropped().get("MALFORMED")
                                    + server.device().dropped().get("UNKNOWN_INDEX")
                            >= 1900,
                    "garbage counted: " + server.device().dropped());
            assertTrue(net.client().ping("10.8.0.1"), "the tunnel still works");
        }
    }

    @Test
    void deviceStopsWhenItsInterfaceIsDeleted(NetnsLab lab) throws Exception {
        var ns = lab.namespace("solo");
        try (WgPrEnd end = WgPrEnd.start(ns, "10.8.0.2/24")) {
            ns.ip("link", "del", end.iface());
            assertTrue(end.device().awaitTermination(5, TimeUnit.SECONDS), "the device noticed");
            assertTrue(end.device().failure().isPresent());
        }
    }

    static void awaitPing(dev.wgpr.testing.lab.Namespace ns, String address) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!ns.ping(address)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no ping reply from " + address + " through the tunnel");
            }
        }
    }

    static void awaitQuiet() throws InterruptedException {
        Thread.sleep(300); // let the last acknowledgements land before comparing counters
    }
}
