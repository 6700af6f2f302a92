package dev.wgpr.routes.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.tunnel.crypto.Key;
import dev.wgpr.tunnel.device.DeviceConfig;
import dev.wgpr.tunnel.device.PeerSettings;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** The WG_CMD_SET_DEVICE a configuration change becomes, so that peers that stay keep their sessions. */
class KernelWireGuardChangeTest {
    private static final Key PRIVATE = Key.generatePrivate();
    private static final Key ZERO = Key.fromBytes(new byte[Key.LENGTH]);
    private static final PeerSettings GATEWAY = PeerSettings.of(
            Key.generatePrivate().publicKey(),
            new InetSocketAddress(IpPrefix.parseAddress("192.0.2.1"), 51820),
            IpPrefix.parse("10.8.0.0/24"));
    private static final PeerSettings OTHER =
            PeerSettings.of(Key.generatePrivate().publicKey(), null, IpPrefix.parse("10.9.0.0/24"));

    @Test
    void theFirstConfigurationReplacesEveryPeerAndSetsEverything() {
        DeviceConfig config = new DeviceConfig(Optional.of(PRIVATE), 51000, 0, List.of(GATEWAY));
        WireGuardSet set = KernelWireGuard.change("wgt0", Optional.empty(), config);
        assertTrue(set.replacePeers());
        assertEquals(Optional.of(PRIVATE.clamped()), set.privateKey());
        assertEquals(OptionalInt.of(51000), set.listenPort());
        WireGuardSet.PeerSet peer = set.peers().getFirst();
        assertEquals(Libmnl.WGPEER_F_REPLACE_ALLOWEDIPS, peer.flags());
        assertEquals(Optional.of(ZERO), peer.presharedKey(), "no PSK is sent as zeros, which removes one");
        assertEquals(GATEWAY.endpoint(), peer.endpoint());
        assertEquals(GATEWAY.allowedIps(), peer.allowedIps());
    }

    @Test
    void aRandomListenPortIsNotAskedForAgain() {
        DeviceConfig config = new DeviceConfig(Optional.of(PRIVATE), 0, 0, List.of());
        assertEquals(
                OptionalInt.empty(),
                KernelWireGuard.change("wgt0", Optional.empty(), config).listenPort());
        assertEquals(
                OptionalInt.empty(),
                KernelWireGuard.change("wgt0", Optional.of(config), config).listenPort());
    }

    @Test
    void aLaterConfigurationUpdatesPeersInPlaceAndRemovesThoseThatWent() {
        DeviceConfig before = new DeviceConfig(Optional.of(PRIVATE), 51000, 0, List.of(GATEWAY, OTHER));
        PeerSettings moved = new PeerSettings(
                GATEWAY.publicKey(),
                Optional.of(Key.generatePreshared()),
                GATEWAY.endpoint(),
                25,
                List.of(IpPrefix.parse("10.8.1.0/24")));
        DeviceConfig after = new DeviceConfig(Optional.empty(), 51000, 7, List.of(moved));
        WireGuardSet set = KernelWireGuard.change("wgt0", Optional.of(before), after);
        assertFalse(set.replacePeers(), "REPLACE_PEERS would end the sessions of peers that stay");
        assertEquals(OptionalInt.empty(), set.listenPort(), "an unchanged port is not rebound");
        assertEquals(Optional.of(ZERO), set.privateKey(), "no private key is sent as zeros, which removes it");
        assertEquals(7L, set.fwmark().orElseThrow());
        assertEquals(2, set.peers().size());
        assertEquals(WireGuardSet.PeerSet.remove(OTHER.publicKey()), set.peers().getFirst());
        WireGuardSet.PeerSet update = set.peers().get(1);
        assertEquals(Optional.empty(), update.endpoint(), "an unchanged endpoint is not sent: a roamed one stays");
        assertEquals(moved.presharedKey(), update.presharedKey());
        assertEquals(OptionalInt.of(25), update.persistentKeepalive());
        assertEquals(Libmnl.WGPEER_F_REPLACE_ALLOWEDIPS, update.flags());
        assertEquals(moved.allowedIps(), update.allowedIps());
    }
}
