package dev.wgpr.enforcement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.RequiresRoot;
import dev.wgpr.testing.lab.Namespace;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import dev.wgpr.testing.lab.Reach;
import dev.wgpr.testing.lab.Veth;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code listen} and {@code incoming} in the kernel (enforcement/DESIGN.md, "Incoming"): a peer namespace
 * behind a tunnel-like device carrying the tag program connects and sends to real listeners in the client
 * namespace, an app's and a non-app's.
 */
@RequiresRoot
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
class InboundListenKernelTest {
    static final AppId WEB = AppId.of(1);
    static final String PEER4 = "10.40.0.1";
    static final String PEER6 = "fd40::1";
    static final String CLIENT4 = "10.40.0.2";
    static final String CLIENT6 = "fd40::2";

    static Policy policy(Incoming setting) {
        return Policy.builder()
                .internal("10.40.0.0/24", 0)
                .internal("fd40::/64", 0)
                .incoming("10.40.0.0/24", setting)
                .incoming("fd40::/64", setting)
                .grant(WEB, "10.40.0.0/24 tcp/443")
                .grant(WEB, "fd40::/64 tcp/443")
                .listen(WEB, "tcp/8080")
                .listen(WEB, "udp/5060")
                .build();
    }

    /** The client and peer namespaces, enforcement in the client with the peer's device guarded. */
    record World(EnforcementLab enforcement, Namespace peer) implements AutoCloseable {
        static World create(NetnsLab lab, Incoming setting) throws IOException {
            Namespace client = lab.namespace("client");
            Namespace peer = lab.namespace("peer");
            Veth tun = PivotLab.tunnelLike(lab, client, peer);
            client.address(tun.a().name(), CLIENT4 + "/24", CLIENT6 + "/64");
            peer.address(tun.b().name(), PEER4 + "/24", PEER6 + "/64");
            int ifindex = Integer.parseInt(
                    client.run("cat", "/sys/class/net/" + tun.a().name() + "/ifindex")
                            .strip());
            EnforcementLab enforcement = EnforcementLab.createIn(lab, client, policy(setting));
            try {
                client.call(() -> {
                    enforcement.enforcer.attachTunnel(ifindex);
                    return null;
                });
            } catch (RuntimeException e) {
                new World(enforcement, peer).close();
                throw e;
            }
            return new World(enforcement, peer);
        }

        Listener listen(String proto, String family, int port, Optional<Path> cgroup)
                throws IOException, InterruptedException {
            return enforcement.listen(proto, family, port, cgroup);
        }

        /** Whether a TCP connection from the peer to {@code address}:{@code port} got the listener's "hi". */
        boolean connects(String address, int port) {
            return InboundListenKernelTest.connects(peer, address, port);
        }

        /**
         * Sends one datagram from the peer's port {@code from} to {@code address}:{@code port}; whether the
         * listener's answer came back.
         */
        boolean exchanges(String address, int port, int from) {
            return InboundListenKernelTest.exchanges(peer, address, port, from);
        }

        /** The inbound deny events that arrived within a second. */
        List<DenyEvent> inboundDenials() throws Exception {
            return denials(Hook.INBOUND);
        }

        /** The backstop's deny events that arrived within a second. */
        List<DenyEvent> tunnelDenials() throws Exception {
            return denials(Hook.TUNNEL);
        }

        private List<DenyEvent> denials(Hook hook) throws Exception {
            List<DenyEvent> events = new ArrayList<>(enforcement.enforcer.pollEvents(Duration.ofSeconds(1)));
            events.addAll(enforcement.enforcer.drainEvents());
            return events.stream().filter(e -> e.hook() == hook).toList();
        }

        /** A prober in the client namespace, no app. */
        Prober prober(String label) throws IOException {
            return Prober.start(label, enforcement.client.name(), Optional.empty(), enforcement.lab.scratchDir());
        }

        @Override
        public void close() throws IOException {
            try {
                enforcement.detachTunnels();
            } finally {
                enforcement.close();
            }
        }
    }

    /** Whether a TCP connection from {@code ns} to {@code address}:{@code port} got the listener's "hi". */
    static boolean connects(Namespace ns, String address, int port) {
        return Reach.tcp(ns, Reach.ANY, address, port, Duration.ofSeconds(2)).answered();
    }

    /**
     * Sends one datagram from port {@code from} in {@code ns} to {@code address}:{@code port}; whether the
     * listener's answer came back.
     */
    static boolean exchanges(Namespace ns, String address, int port, int from) {
        return Reach.udp(ns, new InetSocketAddress(from), address, port, Duration.ofSeconds(1))
                .answered();
    }

    @Test
    void anAppsTcpListenerOnAListenPortAcceptsFromAGrantedSource(NetnsLab lab) throws Exception {
        try (World world = World.create(lab, Incoming.APPS);
                Listener web =
                        world.listen("tcp", "4", 8080, Optional.of(world.enforcement.enforcer.addApp("web", WEB)))) {
            assertTrue(world.connects(CLIENT4, 8080), "the peer's connection to the app's listen port");
            assertEquals("accepted " + PEER4, web.next(Duration.ofSeconds(2)));
        }
    }

    @Test
    void theSamePortOfAProcessThatIsNoAppIsRefusedWithAnEventNamingThePort(NetnsLab lab) throws Exception {
        try (World world = World.create(lab, Incoming.APPS);
                Listener other = world.listen("tcp", "4", 8080, Optional.empty())) {
            assertFalse(world.connects(CLIENT4, 8080), "a non-app's listener was reached from the tunnel");
            assertEquals(null, other.next(Duration.ofMillis(200)));
            List<DenyEvent> denials = world.inboundDenials();
            assertTrue(
                    denials.stream().anyMatch(e -> e.port() == 8080 && e.reason() == Counter.DENY_LISTENING),
                    denials.toString());
            assertTrue(denials.stream().allMatch(e -> e.cgroupId() != 0), "the listener's cgroup: " + denials);
        }
    }

    @Test
    void noneRefusesEvenTheAppsListener(NetnsLab lab) throws Exception {
        try (World world = World.create(lab, Incoming.NONE);
                Listener web =
                        world.listen("tcp", "4", 8080, Optional.of(world.enforcement.enforcer.addApp("web", WEB)))) {
            assertFalse(world.connects(CLIENT4, 8080), "incoming = none let the app's listener be reached");
            assertEquals(null, web.next(Duration.ofMillis(200)));
        }
    }

    @Test
    void allLetsTheListenerOfAProcessThatIsNoAppAccept(NetnsLab lab) throws Exception {
        try (World world = World.create(lab, Incoming.ALL);
                Listener other = world.listen("tcp", "4", 2222, Optional.empty())) {
            assertTrue(world.connects(CLIENT4, 2222), "incoming = all, to a non-app's listener");
            assertEquals("accepted " + PEER4, other.next(Duration.ofSeconds(2)));
        }
    }

    @Test
    void anAppsUdpSocketOnAListenPortReceivesFromAnySourcePortAndAnswers(NetnsLab lab) throws Exception {
        try (World world = World.create(lab, Incoming.APPS)) {
            Path web = world.enforcement.enforcer.addApp("web", WEB);
            try (Listener app = world.listen("udp", "4", 5060, Optional.of(web));
                    Listener other = world.listen("udp", "4", 5061, Optional.empty())) {
                assertTrue(world.exchanges(CLIENT4, 5060, 40_123), "the app's answer from its listen port");
                assertEquals("received " + PEER4, app.next(Duration.ofSeconds(2)));
                assertFalse(world.exchanges(CLIENT4, 5061, 40_124), "a non-app's datagram socket answered");
                assertEquals(null, other.next(Duration.ofMillis(200)), "udp/5061 is no listen port");
            }
        }
    }

    @Test
    void underAllAProcessThatIsNoAppSendsUdpOnlyToWhoWroteToItsPort(NetnsLab lab) throws Exception {
        try (World world = World.create(lab, Incoming.ALL);
                Listener other = world.listen("udp", "4", 5062, Optional.empty());
                Prober sender = world.prober("sender")) {
            assertTrue(world.exchanges(CLIENT4, 5062, 40_125), "a non-app's answer to the peer that wrote to it");
            assertEquals("received " + PEER4, other.next(Duration.ofSeconds(2)));
            assertEquals(
                    Prober.EPERM,
                    sender.run(new Prober.Probe("udps", 4, PEER4, 40_125)),
                    "a datagram to an internal host that never wrote to the sender's port");
            assertEquals(Prober.EPERM, sender.run(new Prober.Probe("udps", 6, PEER6, 53)), "the same over IPv6");
        }
    }

    @Test
    void underAllAnEchoRequestOfAProcessThatIsNoAppNeverEntersTheTunnel(NetnsLab lab) throws Exception {
        try (World world = World.create(lab, Incoming.ALL);
                Prober pinger = world.prober("pinger")) {
            world.enforcement.client.run("sysctl", "-q", "-w", "net.ipv4.ping_group_range=0 2147483647");
            int errno = pinger.run(new Prober.Probe("ping", 4, PEER4, 0));
            if (errno == Prober.EPERM) {
                return; // refused by the sendmsg hook, on a kernel that runs it for ping sockets
            }
            // Ping sockets pass no sendmsg hook on this kernel: the backstop drops the request, which the
            // sender may hear of as ENOBUFS (the device's drop).
            assertTrue(errno == 0 || errno == Prober.ENOBUFS, "errno " + errno);
            List<DenyEvent> denials = world.tunnelDenials();
            assertTrue(
                    denials.stream().anyMatch(e -> e.reason() == Counter.DENY_NO_APP),
                    "the backstop's refusal of the echo request: " + denials);
        }
    }

    @Test
    void ipv6IsJudgedAlike(NetnsLab lab) throws Exception {
        try (World world = World.create(lab, Incoming.APPS);
                Listener web =
                        world.listen("tcp", "6", 8080, Optional.of(world.enforcement.enforcer.addApp("web", WEB)));
                Listener other = world.listen("tcp", "6", 8081, Optional.empty())) {
            assertTrue(world.connects(CLIENT6, 8080), "IPv6 to the app's listen port");
            assertEquals("accepted " + PEER6, web.next(Duration.ofSeconds(2)));
            assertFalse(world.connects(CLIENT6, 8081), "IPv6 to a non-app's listener");
            assertEquals(null, other.next(Duration.ofMillis(200)));
        }
    }
}
