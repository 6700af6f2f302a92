package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.cli.JsonSchemaSubset;
import dev.wgpr.client.control.Json;
import dev.wgpr.client.daemon.DaemonTesting.Result;
import dev.wgpr.client.daemon.TunnelLab.Attempt;
import dev.wgpr.client.daemon.TunnelLab.Who;
import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.RequiresRoot;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What {@code wg-pr up} puts on each tunnel device, seen through the product: the backstop stops
 * what the sock_addr hooks never see (ICMP echo, Debian's ping with its raw socket), the inbound
 * judgement keeps internal hosts away from sockets of processes that are no app, and {@code status}
 * and {@code doctor} fail when a device lost its guard.
 */
@RequiresRoot
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
class GuardedTunnelTest {
    private static final String ALLOWED = TunnelLab.ALLOWED_IPS;
    private static final String TUNNEL_ADDRESS = "10.8.0.2";
    private static final String SERVER_TUNNEL_ADDRESS = "10.8.0.1";

    private TunnelLab net;

    @AfterEach
    void cleanUp() throws Exception {
        if (net != null) {
            net.close();
        }
    }

    @Test
    void upGuardsTheDeviceBeforeTrafficAndDownRemovesTheGuard(NetnsLab lab) throws Exception {
        net = TunnelLab.routed(lab);
        assertEquals(0, net.up(net.config("per-prefix", ALLOWED, null)).exitCode());

        String egress = net.client.run("tc", "filter", "show", "dev", net.iface, "egress");
        String ingress = net.client.run("tc", "filter", "show", "dev", net.iface, "ingress");
        assertTrue(egress.contains("wgpr_tunnel_egr") && egress.contains("direct-action"), egress);
        assertTrue(ingress.contains("wgpr_tunnel_tag") && ingress.contains("direct-action"), ingress);
        Result status = net.cli().run("status");
        assertEquals(0, status.exitCode(), status::toString);
        assertTrue(status.out().contains("backstop") && status.out().contains("in force"), status.out());
        assertTrue(net.connect(Who.APP, TunnelLab.INTERNAL_V4).connected(), "the app's replies come back in");
        String v6 = net.client.ip("-6", "address", "show", "dev", net.iface);
        assertFalse(v6.contains("fe80:"), "no link-local address, so the kernel sends nothing of its own:\n" + v6);

        net.down();
        assertEquals(List.of(), net.leftovers(), "no pins, no cgroups");
    }

    @Test
    void icmpEchoThroughThePingSocketAndDebiansPingAreDroppedByTheBackstop(NetnsLab lab) throws Exception {
        net = TunnelLab.routed(lab);
        net.client.sysctl("net.ipv4.ping_group_range", "0 2147483647");
        assertEquals(0, net.up(net.config("per-prefix", ALLOWED, null)).exitCode());

        Attempt socketPing = pingAsNobody(TunnelLab.INTERNAL_V4);
        assertFalse(socketPing.exit() == 0, "nobody's echo reached the internal host: " + socketPing);
        Attempt rawPing = pingAsNobody("-I", TUNNEL_ADDRESS, TunnelLab.INTERNAL_V4);
        assertFalse(rawPing.exit() == 0, "ping -I reached the internal host: " + rawPing);

        String events = net.awaitEvents("\"hook\":\"tunnel\"", "\"uid\":65534");
        assertTrue(events.contains("\"destination\":\"10.20.0.10\""), events);
        Result status = net.cli().run("status", "--json");
        assertTrue(status.out().matches("(?s).*\"denyNoApp\":[1-9].*"), status.out());
        assertEquals(List.of(), JsonSchemaSubset.ofStatus().errors(Json.parse(status.out())), "the documented schema");
    }

    @Test
    void internalHostsCannotReachListenersOrDatagramSocketsOfProcessesThatAreNoApp(NetnsLab lab) throws Exception {
        net = TunnelLab.routed(lab);
        assertEquals(0, net.up(net.config("per-prefix", ALLOWED, null)).exitCode());
        AtomicInteger accepted = new AtomicInteger();
        try (ServerSocket listener = net.client.call(() -> new ServerSocket(9090));
                DatagramSocket datagrams = net.client.call(() -> new DatagramSocket(9091))) {
            Thread.ofPlatform().daemon().start(() -> {
                while (!listener.isClosed()) {
                    try {
                        listener.accept().close();
                        accepted.incrementAndGet();
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            boolean connected = net.serverNs.call(() -> {
                try (Socket in = new Socket()) {
                    in.connect(new InetSocketAddress(TUNNEL_ADDRESS, 9090), 3000);
                    return true;
                } catch (SocketTimeoutException e) {
                    return false;
                }
            });
            net.serverNs.call(() -> {
                try (DatagramSocket out = new DatagramSocket()) {
                    byte[] hello = "hello".getBytes(StandardCharsets.US_ASCII);
                    out.send(new DatagramPacket(hello, hello.length, new InetSocketAddress(TUNNEL_ADDRESS, 9091)));
                }
                return null;
            });
            String events = net.awaitEvents("\"hook\":\"inbound\",", "\"localPort\":9090", "\"localPort\":9091");
            assertFalse(connected, "an internal host connected to a listener of a process that is no app");
            assertEquals(0, accepted.get());
            datagrams.setSoTimeout(1);
            assertFalse(received(datagrams), "the datagram reached a socket of a process that is no app");
            assertTrue(events.contains("\"source\":\"" + SERVER_TUNNEL_ADDRESS + "\""), events);
            assertTrue(events.contains("listening is closed to the tunnel"), events);
            assertTrue(events.contains("\"reason\":\"not an app"), events);
        }
        assertTrue(net.connect(Who.APP, TunnelLab.INTERNAL_V4).connected(), "the app's own connections still work");
    }

    @Test
    void statusAndDoctorFailWhenSomeoneRemovedTheBackstop(NetnsLab lab) throws Exception {
        net = TunnelLab.routed(lab);
        assertEquals(0, net.up(net.config("per-prefix", ALLOWED, null)).exitCode());
        Result doctor = net.cli().run("doctor", "--json");
        assertTrue(doctor.out().contains("\"check\": \"tunnel backstops\", \"status\": \"OK\""), doctor.out());

        net.client.run("tc", "filter", "del", "dev", net.iface, "egress");

        Result status = net.cli().run("status");
        assertEquals(1, status.exitCode(), status::toString);
        assertTrue(status.err().contains("the backstop is MISSING on " + net.iface), status.err());
        doctor = net.cli().run("doctor", "--json");
        assertTrue(doctor.out().contains("\"check\": \"tunnel backstops\", \"status\": \"FAIL\""), doctor.out());
    }

    /** Debian's ping (file capability cap_net_raw) as uid 65534: one echo, three seconds to answer. */
    private Attempt pingAsNobody(String... target) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", "ping", "-c", "1", "-W", "3"));
        command.addAll(List.of(target));
        return net.inClient(command);
    }

    private static boolean received(DatagramSocket socket) throws IOException {
        try {
            socket.receive(new DatagramPacket(new byte[64], 64));
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        }
    }
}
