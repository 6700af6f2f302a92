package dev.wgpr.tunnel.uapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.testing.RequiresRoot;
import dev.wgpr.testing.lab.CommandResult;
import dev.wgpr.testing.lab.Namespace;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import dev.wgpr.testing.lab.WgDump;
import dev.wgpr.testing.lab.WireGuardGoPeer;
import dev.wgpr.tunnel.crypto.Key;
import dev.wgpr.tunnel.device.DeviceConfig;
import dev.wgpr.tunnel.device.PeerSettings;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The real {@code wg} (wireguard-tools) against our socket in the real {@code /var/run/wireguard},
 * compared where it matters with wireguard-go configured the same way. There is no kernel interface
 * for our device: {@code wg} must find it by its socket alone.
 */
@RequiresRoot
@ExtendWith(NetnsLabExtension.class)
@Timeout(60)
class UapiWgInteropTest {
    static final String PEER = Key.generatePrivate().publicKey().toBase64();
    static final String OTHER_PEER = Key.generatePrivate().publicKey().toBase64();

    NetnsLab lab;
    Namespace ns;
    String iface;
    DeviceConfigStore store;
    UapiServer server;

    @BeforeEach
    void start(NetnsLab lab) throws IOException {
        this.lab = lab;
        ns = lab.namespace("wg");
        iface = lab.interfaceName("wp");
        store = new DeviceConfigStore();
        lab.deleteOnClose(UapiServer.DEFAULT_SOCKET_DIR.resolve(iface + ".sock"));
        server = UapiServer.start(iface, store);
    }

    @AfterEach
    void stop() throws IOException {
        server.close();
        assertFalse(Files.exists(server.socketPath()), "the socket is removed on close");
    }

    String wg(String... args) {
        return ns.run(concat("wg", args));
    }

    Path privateKeyFile(Key key) throws IOException {
        Path file = lab.scratchDir().resolve("key-" + System.nanoTime());
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, key.toBase64() + "\n");
        return file;
    }

    @Test
    void wgShowFindsTheDeviceByItsSocketAlone() {
        CommandResult link = ns.exec("ip", "link", "show", iface);
        assertFalse(link.succeeded(), "no kernel interface exists");

        String show = wg("show", iface);

        assertTrue(show.startsWith("interface: " + iface + "\n"), show);
        assertTrue(wg("show", "interfaces")
                .lines()
                .anyMatch(line -> Arrays.asList(line.split(" ")).contains(iface)));
    }

    @Test
    void wgSetConfiguresTheStore() throws IOException {
        Key privateKey = Key.generatePrivate();

        wg(
                "set",
                iface,
                "private-key",
                privateKeyFile(privateKey).toString(),
                "listen-port",
                "51820",
                "fwmark",
                "0x20",
                "peer",
                PEER,
                "allowed-ips",
                "10.20.0.0/16,fd10::/64",
                "endpoint",
                "198.51.100.10:51820",
                "persistent-keepalive",
                "25");

        DeviceConfig config = store.config();
        assertEquals(Optional.of(privateKey), config.privateKey());
        assertEquals(51820, config.listenPort());
        assertEquals(0x20, config.fwmark());
        PeerSettings peer = config.peer(Key.fromBase64(PEER)).orElseThrow();
        assertEquals(List.of(IpPrefix.parse("10.20.0.0/16"), IpPrefix.parse("fd10::/64")), peer.allowedIps());
        assertEquals(Optional.of(new InetSocketAddress("198.51.100.10", 51820)), peer.endpoint());
        assertEquals(25, peer.persistentKeepaliveSeconds());
    }

    @Test
    void wgShowDumpParsesAndReportsWhatWasSet() throws IOException {
        Key privateKey = Key.generatePrivate();
        wg(
                "set",
                iface,
                "private-key",
                privateKeyFile(privateKey).toString(),
                "listen-port",
                "51821",
                "peer",
                PEER,
                "allowed-ips",
                "10.30.0.0/24",
                "endpoint",
                "[2001:db8::7]:4500");

        WgDump dump = WgDump.parse(wg("show", iface, "dump"));

        assertEquals(privateKey.publicKey().toBase64(), dump.publicKey());
        assertEquals(51821, dump.listenPort());
        WgDump.Peer peer = dump.peer(PEER);
        assertEquals("[2001:db8::7]:4500", peer.endpoint());
        assertEquals(List.of("10.30.0.0/24"), peer.allowedIps());
        assertFalse(peer.hasHandshake());
    }

    @Test
    void wgSetPeerRemoveRemovesOnlyThatPeer() {
        wg("set", iface, "peer", PEER, "allowed-ips", "10.1.0.0/16", "peer", OTHER_PEER, "allowed-ips", "10.2.0.0/16");

        wg("set", iface, "peer", PEER, "remove");

        assertEquals(
                List.of(Key.fromBase64(OTHER_PEER)),
                store.config().peers().stream().map(PeerSettings::publicKey).toList());
    }

    @Test
    void wgSetconfReplacesTheWholeConfiguration() throws IOException {
        wg("set", iface, "listen-port", "1000", "fwmark", "7", "peer", PEER, "allowed-ips", "10.1.0.0/16");
        Key privateKey = Key.generatePrivate();
        Path conf = lab.scratchDir().resolve("setconf.conf");
        Files.writeString(conf, """
                [Interface]
                PrivateKey = %s
                ListenPort = 51822

                [Peer]
                PublicKey = %s
                AllowedIPs = 10.9.0.0/16
                Endpoint = 192.0.2.1:51820
                """.formatted(privateKey.toBase64(), OTHER_PEER));

        wg("setconf", iface, conf.toString());

        DeviceConfig config = store.config();
        assertEquals(Optional.of(privateKey), config.privateKey());
        assertEquals(51822, config.listenPort());
        assertEquals(0, config.fwmark(), "setconf resets what the file leaves out");
        assertEquals(
                List.of(Key.fromBase64(OTHER_PEER)),
                config.peers().stream().map(PeerSettings::publicKey).toList());
    }

    @Test
    void wgShowconfPrintsExactlyWhatItPrintsForWireguardGoConfiguredTheSame() throws IOException {
        WireGuardGoPeer reference = WireGuardGoPeer.start(ns);
        Path sharedKey = reference.privateKeyFile();
        Path psk = lab.scratchDir().resolve("psk");
        Files.createFile(psk, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(psk, Key.generatePreshared().toBase64() + "\n");
        for (String device : List.of(reference.iface(), iface)) {
            wg(
                    "set",
                    device,
                    "private-key",
                    sharedKey.toString(),
                    "listen-port",
                    "51820",
                    "fwmark",
                    "0x1234",
                    "peer",
                    PEER,
                    "preshared-key",
                    psk.toString(),
                    "allowed-ips",
                    "10.20.0.0/16,fd10::/64,10.20.1.7/32",
                    "endpoint",
                    "198.51.100.10:51820",
                    "persistent-keepalive",
                    "25",
                    "peer",
                    OTHER_PEER,
                    "allowed-ips",
                    "0.0.0.0/0,::/0",
                    "endpoint",
                    "[2001:db8:0:0:1::1]:443");
        }

        String ours = wg("showconf", iface);
        String theirs = wg("showconf", reference.iface());

        assertEquals(sortPeerSections(theirs), sortPeerSections(ours));
        assertTrue(ours.contains("[Peer]"), ours);
    }

    /** wireguard-go lists peers in Go map order, which is random: compare peer sections as a set. */
    static String sortPeerSections(String showconf) {
        String[] sections = showconf.split("\n(?=\\[Peer\\])");
        return sections[0] + "\n" + Arrays.stream(sections).skip(1).sorted().collect(Collectors.joining("\n"));
    }

    static String[] concat(String first, String... rest) {
        String[] all = new String[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }
}
