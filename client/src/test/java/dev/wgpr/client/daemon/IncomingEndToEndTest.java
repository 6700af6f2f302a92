package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.daemon.DaemonTesting.Result;
import dev.wgpr.enforcement.Listener;
import dev.wgpr.enforcement.cgroup.ScratchCgroup;
import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.RequiresRoot;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import dev.wgpr.testing.lab.Reach;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code listen} and {@code incoming} through {@code wg-pr up} and a wireguard-go peer (issue 22): from the
 * peer's side, TCP and UDP over IPv4 and IPv6 and ICMP and ICMPv6 echo, to listeners of app "probe" and of a
 * process that is no app, in each setting (enforcement/DESIGN.md, "Incoming").
 */
@RequiresRoot
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
class IncomingEndToEndTest {
    private static final String TUNNEL_ADDRESS = "10.8.0.2";
    private static final String TUNNEL_ADDRESS6 = "fd10:8::2";
    /** The probe's exit when its listener got nothing within 8 s (it is started under timeout 15: 124). */
    private static final int NOTHING_CAME = 3;
    /** Accepts one connection over IPv4 or IPv6, says "hi", exits; exits NOTHING_CAME after 8 s without one. */
    private static final String LISTENER = "import socket\n"
            + "s = socket.socket(socket.AF_INET6)\n"
            + "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
            + "s.bind(('::', 9090))\n"
            + "s.listen(1)\n"
            + "s.settimeout(8)\n"
            + "try:\n"
            + "    c, a = s.accept()\n"
            + "except socket.timeout:\n"
            + "    raise SystemExit(" + NOTHING_CAME + ")\n"
            + "c.sendall(b'hi')\n"
            + "c.close()\n";
    /** Answers one datagram on udp/5060 with sendto, exits; exits NOTHING_CAME after 8 s without one. */
    private static final String UDP_LISTENER = "import socket\n"
            + "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
            + "s.bind(('0.0.0.0', 5060))\n"
            + "s.settimeout(8)\n"
            + "try:\n"
            + "    d, a = s.recvfrom(100)\n"
            + "except socket.timeout:\n"
            + "    raise SystemExit(" + NOTHING_CAME + ")\n"
            + "s.sendto(d, a)\n";
    /** The port of {@link #udpEcho}, in no app's listen set. */
    private static final int NON_APP_UDP_PORT = 5070;

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
        assertFalse(net.serverNs.ping(TUNNEL_ADDRESS6), "the kernel's ICMPv6 echo reply left through the tunnel");

        try (ServerSocket other = net.client.call(() -> new ServerSocket(9091))) {
            assertFalse(fromThePeer(9091), "the peer reached the listener of a process that is no app");
            other.setSoTimeout(1);
            assertThrows(SocketTimeoutException.class, other::accept, "a connection was queued");
        }
        String events = net.awaitEvents("\"hook\":\"inbound\",", "\"localPort\":9091");
        assertFalse(events.contains("\"localPort\":9090"), events);
    }

    @Test
    void appsRefusesADatagramToTheListenerOfAProcessThatIsNoAppWithAnEventNamingIt(NetnsLab lab) throws Exception {
        up(lab, "apps");
        try (NonAppService echo = udpEcho()) {
            assertFalse(udpFromThePeer(TUNNEL_ADDRESS, NON_APP_UDP_PORT), "the peer's datagram was answered");
            assertFalse(udpFromThePeer(TUNNEL_ADDRESS6, NON_APP_UDP_PORT), "the peer's IPv6 datagram was answered");
            assertNull(echo.listener().next(Duration.ofMillis(100)), "the non-app's listener received");
            // While it listens: the daemon looks the listener up as it reads the event.
            String events = net.awaitEvents(
                    "\"hook\":\"inbound\",", "\"localPort\":" + NON_APP_UDP_PORT, "\"protocol\":\"udp\"");
            // The kernel knows the socket's cgroup and uid; the daemon found the process holding it.
            assertTrue(events.contains("\"comm\":\"python3\""), "the event names the listening program: " + events);
            Result text = net.cli().run("events");
            assertTrue(
                    text.out().contains("local port " + NON_APP_UDP_PORT + "/udp of python3 (pid "),
                    "the text names it: " + text);
        }
    }

    @Test
    void noneKeepsEvenTheAppsListenPortsClosed(NetnsLab lab) throws Exception {
        up(lab, "none");
        assertFalse(toTheApp(TUNNEL_ADDRESS), "incoming = none let the peer reach the app's listener");
        assertFalse(toTheApp(TUNNEL_ADDRESS6), "incoming = none let the peer reach the app's listener over IPv6");
        assertFalse(net.serverNs.ping(TUNNEL_ADDRESS6), "incoming = none, the ICMPv6 echo reply left");

        CompletableFuture<Result> app = probeApp(UDP_LISTENER);
        net.client.awaitUdpListener(5060, Duration.ofSeconds(10));
        assertFalse(udpFromThePeer(TUNNEL_ADDRESS, 5060), "incoming = none let a datagram to the app's udp/5060");
        Result ran = app.get(20, TimeUnit.SECONDS);
        assertEquals(NOTHING_CAME, ran.exitCode(), ran::toString);
    }

    @Test
    void allOpensTheListenerOfAProcessThatIsNoAppAndAnswersEchoRequests(NetnsLab lab) throws Exception {
        up(lab, "all");
        for (String address : List.of(TUNNEL_ADDRESS, TUNNEL_ADDRESS6)) {
            try (ServerSocket other = net.client.call(() -> new ServerSocket(9091))) {
                CompletableFuture<Void> accepted = CompletableFuture.runAsync(() -> {
                    try (Socket in = other.accept()) {
                        in.getOutputStream().write("hi".getBytes(StandardCharsets.US_ASCII));
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                });
                assertTrue(fromThePeer(address, 9091), "incoming = all, to a non-app's listener at " + address);
                accepted.get(5, TimeUnit.SECONDS);
            }
        }
        try (NonAppService echo = udpEcho()) {
            assertTrue(udpFromThePeer(TUNNEL_ADDRESS, NON_APP_UDP_PORT), "incoming = all, a non-app's UDP answer");
            assertTrue(udpFromThePeer(TUNNEL_ADDRESS6, NON_APP_UDP_PORT), "incoming = all, over IPv6");
            assertNotNull(echo.listener().next(Duration.ofSeconds(2)), "the non-app's listener received nothing");
        }
        assertTrue(net.serverNs.ping(TUNNEL_ADDRESS), "incoming = all, ICMP echo to the host");
        assertTrue(net.serverNs.ping(TUNNEL_ADDRESS6), "incoming = all, ICMPv6 echo to the host");
    }

    /**
     * {@code wg-pr up} of the lab's tunnel with {@code incoming}, app "probe" listening on tcp/9090 and udp/5060,
     * its grants tcp/8080 of the server's tunnel addresses.
     */
    private void up(NetnsLab lab, String incoming) throws Exception {
        net = TunnelLab.routed(lab);
        // Grants that hold the peer but cover none of its datagrams: only listen opens the app's UDP port.
        Path config = TunnelLab.withIncoming(
                TunnelLab.withListen(
                        net.config(
                                "per-prefix",
                                TunnelLab.ALLOWED_IPS,
                                "\"10.8.0.1/32 tcp/8080\", \"fd10:8::1/128 tcp/8080\""),
                        "\"tcp/9090\", \"udp/5060\""),
                incoming);
        assertEquals(0, net.up(config).exitCode());
    }

    @Test
    void theAppsUdpListenPortReceivesFromThePeerAndAnswers(NetnsLab lab) throws Exception {
        up(lab, "apps");
        CompletableFuture<Result> app = probeApp(UDP_LISTENER);
        boolean answered = false;
        // The app is up when its socket is bound; until then the peer's datagrams meet no socket.
        for (int attempt = 0; attempt < 20 && !answered; attempt++) {
            answered = udpFromThePeer(TUNNEL_ADDRESS, 5060);
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
        assertEquals(reached ? 0 : NOTHING_CAME, ran.exitCode(), ran::toString);
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
        return Reach.tcp(net.serverNs, Reach.ANY, address, port, Duration.ofSeconds(3))
                .answered();
    }

    /** Whether a datagram from the peer's side to {@code address}:{@code port} was answered within 500 ms. */
    private boolean udpFromThePeer(String address, int port) {
        return Reach.udp(net.serverNs, Reach.ANY, address, port, Duration.ofMillis(500))
                .answered();
    }

    /**
     * A UDP listener on {@link #NON_APP_UDP_PORT}, IPv4 and IPv6, run by root in the client namespace, once its
     * socket is bound, in a cgroup of its own (as a service's) that is no app's.
     */
    private NonAppService udpEcho() throws Exception {
        ScratchCgroup cgroup = ScratchCgroup.create(DaemonTesting.cgroup2(), "wgpr-echo");
        try {
            return new NonAppService(
                    Listener.start(
                            net.client, net.lab.scratchDir(), "udp", "6", NON_APP_UDP_PORT, Optional.of(cgroup.path())),
                    cgroup);
        } catch (Exception e) {
            cgroup.close();
            throw e;
        }
    }

    /** A process that is no app, in its own cgroup; closing stops it and removes the cgroup. */
    private record NonAppService(Listener listener, ScratchCgroup cgroup) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            try {
                listener.close();
            } finally {
                cgroup.close();
            }
        }
    }
}
