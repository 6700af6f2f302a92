package dev.wgpr.tunnel.device;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import dev.wgpr.testing.lab.Topologies;
import dev.wgpr.testing.lab.Topologies.Routed;
import dev.wgpr.testing.lab.WireGuardGoPeer;
import dev.wgpr.tunnel.Clock;
import dev.wgpr.tunnel.crypto.Key;
import dev.wgpr.tunnel.protocol.Protocol;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** A flood of handshake initiations: the device answers with cookies and a real peer still gets in. */
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
@Timeout(90)
class DeviceUnderLoadTest {
    @Test
    void floodedDeviceSendsCookieRepliesAndALegitimatePeerStillConnects(NetnsLab lab) throws Exception {
        Routed net = Topologies.routed(lab);
        try (WgPrEnd server = WgPrEnd.start(net.server(), "10.8.0.1/24").listenPort(51820)) {
            // The attacker knows the server's public key, so its initiations pass mac1 and cost a
            // Diffie-Hellman each; they come from a key the server does not know.
            Protocol attacker = new Protocol(Key.generatePrivate(), Clock.system());
            byte[] initiation = attacker.createInitiation(attacker.addPeer(server.publicKey(), null))
                    .orElseThrow();
            DatagramChannel flood = net.internet().call(() -> {
                DatagramChannel channel = DatagramChannel.open();
                channel.connect(new InetSocketAddress(InetAddress.ofLiteral(Routed.SERVER_V4), 51820));
                return channel;
            });
            AtomicBoolean stop = new AtomicBoolean();
            long floodStart = System.nanoTime();
            AtomicLong cookies = new AtomicLong();
            Thread sender = Thread.ofPlatform().start(() -> {
                while (!stop.get()) {
                    try {
                        flood.write(ByteBuffer.wrap(initiation));
                    } catch (java.io.IOException e) {
                        return;
                    }
                }
            });
            Thread receiver = Thread.ofPlatform().start(() -> {
                ByteBuffer reply = ByteBuffer.allocate(2000);
                while (!stop.get()) {
                    try {
                        reply.clear();
                        flood.read(reply);
                        if (reply.position() == 64 && reply.get(0) == 3) {
                            cookies.incrementAndGet();
                        }
                    } catch (java.io.IOException e) {
                        return;
                    }
                }
            });
            try {
                DeviceInteropTestSupport.awaitTrue(() -> cookies.get() > 0, "a cookie reply to the flood");
                assertTrue(server.device().handshakes.underLoad(), "the device knows it is under load");

                WireGuardGoPeer client = WireGuardGoPeer.start(net.client())
                        .address("10.8.0.2/24")
                        .up();
                server.peer(Key.fromBase64(client.publicKey()), null, "10.8.0.2/32");
                client.peer(server.publicKey().toBase64(), Routed.SERVER_V4 + ":51820", "10.8.0.0/24");
                // wireguard-go gets a cookie for its first initiation, and its retransmission carries mac2.
                assertTrue(
                        DeviceInteropTestSupport.pingWithin(net.client(), "10.8.0.1", 15),
                        "the legitimate peer connects during the flood");
                assertTrue(server.device().handshakes.underLoad(), "still flooded while it connected");
                assertTrue(server.device().droppedRateLimited.sum() > 0, "the flooding host was rate-limited");
                long floodSeconds = (System.nanoTime() - floodStart) / 1_000_000_000L + 1;
                assertTrue(
                        cookies.get() <= SourceRateLimiter.BURST + SourceRateLimiter.PER_SECOND * floodSeconds + 64,
                        "one host gets at most about 20 answers a second: " + cookies.get() + " in " + floodSeconds
                                + " s");
            } finally {
                stop.set(true);
                flood.close();
                sender.join();
                receiver.join();
            }
        }
    }
}
