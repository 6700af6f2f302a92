package dev.wgpr.tunnel.device;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import dev.wgpr.testing.lab.Topologies;
import dev.wgpr.testing.lab.WireGuardGoPeer;
import dev.wgpr.tunnel.crypto.Key;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** wg-pr's device against the real wireguard-go, across the lab's routed topology. */
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
class DeviceInteropTest {
    static final InetSocketAddress SERVER =
            new InetSocketAddress(InetAddress.ofLiteral(Topologies.Routed.SERVER_V4), 51820);

    @Test
    void clientInitiatesAndCarriesTcpAndUdpBothWays(NetnsLab lab) throws Exception {
        Topologies.Routed net = Topologies.routed(lab);
        WireGuardGoPeer server = WireGuardGoPeer.start(net.server()).listenPort(51820);
        server.address("10.8.0.1/24", "fd10:8::1/64").up();
        Key key = Key.generatePrivate();
        String iface = lab.interfaceName("wg");
        try (Device client = net.client().call(() -> Device.create(iface))) {
            client.setPrivateKey(java.util.Optional.of(key));
            client.setPeer(PeerSettings.of(
                    Key.fromBase64(server.publicKey()),
                    SERVER,
                    IpPrefix.parse("10.8.0.0/24"),
                    IpPrefix.parse("fd10:8::/64")));
            net.client().address(iface, "10.8.0.2/24", "fd10:8::2/64").up(iface);
            server.peer(key.publicKey().toBase64(), null, "10.8.0.2/32", "fd10:8::2/128");

            assertTrue(net.client().ping("10.8.0.1"), "ping through the tunnel");
            Traffic.tcp(net.client(), net.server(), "10.8.0.1", 1 << 20);
            Traffic.tcp(net.server(), net.client(), "10.8.0.2", 1 << 20);
            Traffic.udp(net.client(), net.server(), "fd10:8::1", 200);
            Traffic.udp(net.server(), net.client(), "fd10:8::2", 200);
        }
    }
}
