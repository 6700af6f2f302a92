package dev.wgpr.tunnel.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.lab.Namespace;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import dev.wgpr.testing.lab.Topologies;
import dev.wgpr.testing.lab.Topologies.Routed;
import dev.wgpr.tunnel.ManualClock;
import dev.wgpr.tunnel.crypto.Key;
import dev.wgpr.tunnel.protocol.Keypair;
import dev.wgpr.tunnel.protocol.Limits;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The device's timers on a manual clock: real TUN and UDP, but time moves only when the test says, so
 * minutes of protocol time pass in milliseconds.
 */
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
@Timeout(60)
class DeviceTimersTest {
    final ManualClock clock = new ManualClock();
    final Device.Options options = Device.Options.defaults().withClock(clock);

    @Test
    void retransmitsTheInitiationEveryRekeyTimeoutThenGivesUpAfterRekeyAttemptTime(NetnsLab lab) throws Exception {
        Namespace ns = lab.namespace("solo");
        // The peer's endpoint is a plain socket: it counts initiations and never answers.
        DatagramSocket sink =
                ns.call(() -> new DatagramSocket(new InetSocketAddress(InetAddress.ofLiteral("127.0.0.1"), 0)));
        try (sink;
                WgPrEnd end = WgPrEnd.start(ns, options, "10.9.0.2/24")) {
            end.peer(Key.generatePrivate().publicKey(), "127.0.0.1:" + sink.getLocalPort(), "10.9.0.0/24");
            DatagramSocket app = ns.call(DatagramSocket::new);
            app.send(new DatagramPacket(new byte[10], 10, new InetSocketAddress(InetAddress.ofLiteral("10.9.0.1"), 9)));
            app.close();
            assertInitiation(sink, "a packet without a session starts a handshake");

            clock.advance(Duration.ofMillis(4900));
            end.device().tick();
            assertNothing(sink, "no retransmission before REKEY_TIMEOUT");

            for (int retry = 1; retry <= Timers.MAX_RETRANSMITS; retry++) {
                clock.advance(Duration.ofMillis(500)); // past REKEY_TIMEOUT plus the largest jitter
                end.device().tick();
                assertInitiation(sink, "retransmission " + retry);
                clock.advance(Duration.ofMillis(4900));
            }
            clock.advance(Duration.ofSeconds(6));
            end.device().tick();
            clock.advance(Duration.ofSeconds(6));
            end.device().tick();
            assertNothing(sink, "given up after " + Timers.MAX_RETRANSMITS + " retransmissions");
            assertEquals(
                    1 + Timers.MAX_RETRANSMITS, end.device().initiationsSent.get());
            assertTrue(
                    (1 + Timers.MAX_RETRANSMITS) * Limits.REKEY_TIMEOUT_NANOS >= Limits.REKEY_ATTEMPT_TIME_NANOS,
                    "the attempts span REKEY_ATTEMPT_TIME");
        }
    }

    @Test
    void sessionTimersBetweenTwoWgPrDevices(NetnsLab lab) throws Exception {
        Routed net = Topologies.routed(lab);
        try (WgPrEnd server =
                        WgPrEnd.start(net.server(), options, "10.8.0.1/24").listenPort(51820);
                WgPrEnd client = WgPrEnd.start(net.client(), options, "10.8.0.2/24")) {
            server.peer(client.publicKey(), null, "10.8.0.2/32");
            client.peer(server.publicKey(), Routed.SERVER_V4 + ":51820", "10.8.0.0/24");
            assertTrue(net.client().ping("10.8.0.1"));
            Keypair first = client.device().currentKeypair(server.publicKey()).orElseThrow();

            // Passive keepalive: the client received data (the echo reply) and sent nothing since, so
            // after KEEPALIVE_TIMEOUT it sends an empty message.
            long sent = client.status(server.publicKey()).txBytes();
            clock.advance(Duration.ofSeconds(10));
            tick(client, server);
            awaitTx(client, server.publicKey(), sent + 32);

            // Rekey after REKEY_AFTER_TIME: the initiator's next packet starts a new handshake.
            clock.advance(Duration.ofSeconds(121));
            tick(client, server);
            assertTrue(DeviceInteropTestSupport.pingWithin(net.client(), "10.8.0.1", 5));
            DeviceInteropTestSupport.awaitTrue(
                    () -> client.device().currentKeypair(server.publicKey()).orElseThrow() != first, "rekeyed");
            assertNotEquals(
                    first, client.device().currentKeypair(server.publicKey()).orElseThrow());
            assertTrue(net.client().ping("10.8.0.1"), "traffic goes on under the new session");

            // Quiet down (pending keepalives go out), then 3 x REJECT_AFTER_TIME later all keys are zeroed.
            clock.advance(Duration.ofSeconds(11));
            tick(client, server);
            Thread.sleep(200);
            clock.advance(Duration.ofNanos(3 * Limits.REJECT_AFTER_TIME_NANOS));
            tick(client, server);
            assertTrue(client.device().currentKeypair(server.publicKey()).isEmpty(), "client's keys zeroed");
            assertTrue(server.device().currentKeypair(client.publicKey()).isEmpty(), "server's keys zeroed");
            // Time moves on (a handshake the zeroing cut short no longer holds back the next one).
            clock.advance(Duration.ofSeconds(6));
            assertTrue(DeviceInteropTestSupport.pingWithin(net.client(), "10.8.0.1", 5), "a new session on demand");
        }
    }

    private static void tick(WgPrEnd... ends) {
        for (WgPrEnd end : ends) {
            end.device().tick();
        }
    }

    private static void awaitTx(WgPrEnd end, Key peer, long atLeast) {
        DeviceInteropTestSupport.awaitTrue(() -> end.status(peer).txBytes() >= atLeast, "a keepalive was sent");
        assertEquals(atLeast, end.status(peer).txBytes(), "exactly one keepalive (32 bytes)");
    }

    private static void assertInitiation(DatagramSocket sink, String what) throws Exception {
        sink.setSoTimeout(2000);
        DatagramPacket packet = new DatagramPacket(new byte[2000], 2000);
        sink.receive(packet);
        assertEquals(148, packet.getLength(), what);
        assertEquals(1, packet.getData()[0], what);
    }

    private static void assertNothing(DatagramSocket sink, String what) throws Exception {
        sink.setSoTimeout(300);
        assertThrows(SocketTimeoutException.class, () -> sink.receive(new DatagramPacket(new byte[2000], 2000)), what);
    }
}
