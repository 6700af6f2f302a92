package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.daemon.DaemonTesting.Result;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code listen} and {@code incoming} through {@code wg-pr up} and a wireguard-go peer (issue 22), TCP and
 * ICMP echo in each setting, IPv6 and UDP (a listener's answer included) in "apps" (enforcement/DESIGN.md,
 * "Incoming").
 */
@RequiresRoot
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
class IncomingEndToEndTest {
    private static final String TUNNEL_ADDRESS = "10.8.0.2";
    private static final String TUNNEL_ADDRESS6 = "fd10:8::2";
    /** Accepts one connection over IPv4 or IPv6, says "hi", exits. */
    private static final String LISTENER = "import socket\n"
            + "s = socket.socket(socket.AF_INET6)\n"
            + "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
            + "s.bind(('::', 9090))\n"
            + "s.listen(1)\n"
            + "c, a = s.accept()\n"
            + "c.sendall(b'hi')\n"
            + "c.close()\n";
    /** Answers one datagram on udp/5060 with sendto, exits. */
    private static final String UDP_LISTENER = "import socket\n"
            + "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
            + "s.bind(('0.0.0.0', 5060))\n"
            + "print('ready', flush=True)\n"
            + "d, a = s.recvfrom(100)\n"
            + "s.sendto(d, a)\n";

    private TunnelLab net;

    @AfterEach
    void cleanUp() throws Exception {
        if (net != null) {
            net.close();
        }
    }

    @Test
    void thePeerReachesTheAppsListenPortAndNotTheListenerOfAProcessThatIsNoApp(NetnsLab lab) throws Exception {
        up(lab, "apps");
        assertTrue(toTheApp(TUNNEL_ADDRESS), "the peer reached the app's listen port");
        assertTrue(toTheApp(TUNNEL_ADDRESS6), "the peer reached the app's listen port over IPv6");
        assertFalse(net.serverNs.ping(TUNNEL_ADDRESS), "the kernel's echo reply left through the tunnel");

        try (ServerSocket other = net.client.call(() -> new ServerSocket(9091))) {
            assertFalse(fromThePeer(9091), "the peer reached the listener of a process that is no app");
            other.setSoTimeout(1);
            assertThrows(SocketTimeoutException.class, other::accept, "a connection was queued");
        }
        String events = net.awaitEvents("\"hook\":\"inbound\",", "\"localPort\":9091");
        assertFalse(events.contains("\"localPort\":9090"), events);
    }

    @Test
    void noneKeepsEvenTheAppsListenPortClosed(NetnsLab lab) throws Exception {
        up(lab, "none");
        assertFalse(toTheApp(TUNNEL_ADDRESS), "incoming = none let the peer reach the app's listener");
    }

    @Test
    void allOpensTheListenerOfAProcessThatIsNoAppAndAnswersEchoRequests(NetnsLab lab) throws Exception {
        up(lab, "all");
        try (ServerSocket other = net.client.call(() -> new ServerSocket(9091))) {
            CompletableFuture<Void> accepted = CompletableFuture.runAsync(() -> {
                try (Socket in = other.accept()) {
                    in.getOutputStream().write("hi".getBytes(StandardCharsets.US_ASCII));
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            assertTrue(fromThePeer(9091), "incoming = all, to a non-app's listener");
            accepted.get(5, TimeUnit.SECONDS);
        }
        assertTrue(net.serverNs.ping(TUNNEL_ADDRESS), "incoming = all, ICMP echo to the host");
    }

    /** {@code wg-pr up} of the lab's tunnel with {@code incoming} and app "probe" listening on tcp/9090. */
    private void up(NetnsLab lab, String incoming) throws Exception {
        net = TunnelLab.routed(lab);
        Path config = net.config("per-prefix", TunnelLab.ALLOWED_IPS, null);
        String toml = Files.readString(config)
                .replace("name = \"probe\"", "name = \"probe\"\nlisten = [\"tcp/9090\", \"udp/5060\"]")
                .replace("[[peer]]", "incoming = \"" + incoming + "\"\n\n[[peer]]");
        Files.writeString(config, toml);
        assertEquals(0, net.up(config).exitCode());
    }

    @Test
    void theAppsUdpListenPortReceivesFromThePeerAndAnswers(NetnsLab lab) throws Exception {
        up(lab, "apps");
        CompletableFuture<Result> app = probeApp(UDP_LISTENER);
        boolean answered = false;
        // The app is up when its socket is bound; until then the peer's datagrams meet no socket.
        for (int attempt = 0; attempt < 20 && !answered; attempt++) {
            answered = net.serverNs.call(() -> {
                try (DatagramSocket socket = new DatagramSocket(40_123)) {
                    byte[] hello = "hello".getBytes(StandardCharsets.US_ASCII);
                    socket.send(new DatagramPacket(hello, hello.length, new InetSocketAddress(TUNNEL_ADDRESS, 5060)));
                    socket.setSoTimeout(500);
                    socket.receive(new DatagramPacket(new byte[16], 16));
                    return true;
                } catch (IOException e) {
                    return false;
                }
            });
        }
        assertTrue(answered, "the app's UDP listener received from the peer and answered");
        Result ran = app.get(20, TimeUnit.SECONDS);
        assertEquals(0, ran.exitCode(), ran::toString);
    }

    /** Whether the peer reaches, at {@code address}, a one-connection listener app "probe" runs on tcp/9090. */
    private boolean toTheApp(String address) throws Exception {
        CompletableFuture<Result> app = probeApp(LISTENER);
        net.client.awaitTcpListener(9090, Duration.ofSeconds(10));
        boolean reached = fromThePeer(address, 9090);
        Result ran = app.get(20, TimeUnit.SECONDS);
        assertEquals(reached ? 0 : 124, ran.exitCode(), ran::toString);
        return reached;
    }

    /** {@code wg-pr run --app probe} of a python {@code script}, for at most 15 s; its result once it ends. */
    private CompletableFuture<Result> probeApp(String script) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return net.cli()
                        .run("run", "--app", "probe", "--", "/usr/bin/timeout", "15", "/usr/bin/python3", "-c", script);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /** Whether a connection from the peer's side to {@code port} got the listener's "hi". */
    private boolean fromThePeer(int port) {
        return fromThePeer(TUNNEL_ADDRESS, port);
    }

    private boolean fromThePeer(String address, int port) {
        return net.serverNs.call(() -> {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(address, port), 3000);
                socket.setSoTimeout(3000);
                return socket.getInputStream().readNBytes(2).length == 2;
            } catch (IOException e) {
                return false; // timed out (the SYN dropped) or reset
            }
        });
    }
}
