package dev.wgpr.enforcement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.enforcement.Prober.Probe;
import dev.wgpr.enforcement.bpf.BpfObject;
import dev.wgpr.enforcement.policy.Protocol;
import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.RequiresRoot;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The enforcement programs attached at the real cgroup2 root, judged through real syscalls of real
 * processes in a lab namespace. Every expectation is checked both ways (an allow and a deny), so a
 * program that allowed or denied everything would fail.
 */
@RequiresRoot
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
class EnforcementKernelTest {
    static final int EINPROGRESS = 115;
    static final AppId SSH = AppId.of(1);
    static final AppId WEB = AppId.of(2);

    static Policy labPolicy() {
        return EnforcementLab.basePolicy()
                .grant(SSH, "10.20.0.0/16 tcp/22,8000-8099")
                .grant(SSH, "fd10:20::/32 udp/53")
                .grant(WEB, "10.20.5.0/24")
                .build();
    }

    static Probe tcp4(String address, int port) {
        return new Probe("tcp", 4, address, port);
    }

    static Probe tcp6(String address, int port) {
        return new Probe("tcp", 6, address, port);
    }

    static void assertAllowed(Prober prober, Probe probe) throws IOException {
        int errno = prober.run(probe);
        assertNotEquals(Prober.EPERM, errno, probe + " must be allowed");
        assertTrue(errno == 0 || errno == EINPROGRESS, probe + " allowed, but failed with errno " + errno);
    }

    static void assertDenied(Prober prober, Probe probe) throws IOException {
        assertEquals(Prober.EPERM, prober.run(probe), probe + " must be denied with EPERM");
    }

    @Test
    void theHostNamespaceIsNeverJudgedWhileTheTunnelNamespaceIs(NetnsLab lab) throws Exception {
        Policy everythingInternal =
                Policy.builder().internal("0.0.0.0/0", 0).internal("::/0", 0).build();
        try (EnforcementLab world = EnforcementLab.create(lab, everythingInternal);
                ServerSocket hostServer = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            int port = hostServer.getLocalPort();
            // This thread lives in the host namespace and is no app: unaffected.
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
                assertTrue(socket.isConnected());
            }
            // The same attempt from inside the tunnel namespace is judged, and denied.
            String failure = world.client.call(() -> {
                try (Socket socket = new Socket()) {
                    socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
                    return "connected";
                } catch (SocketException e) {
                    return e.getMessage();
                }
            });
            assertTrue(failure.contains("Operation not permitted"), failure);
            assertTrue(world.enforcer.counters().get(Counter.OTHER_NETNS) > 0);
        }
    }

    @Test
    void anAppInAnotherNamespaceIsNotJudgedWhetherOrNotAGrantCoversTheDestination(NetnsLab lab) throws Exception {
        // The programs ask for a covering grant before they ask for the namespace (fewer helper calls
        // on internal-allow); both answers must stay ALLOW outside the tunnel's namespace.
        try (EnforcementLab world = EnforcementLab.create(lab, labPolicy())) {
            Path ssh = world.enforcer.addApp("ssh", SSH);
            try (Prober elsewhere = Prober.start("ssh-in-lan", world.lan.name(), Optional.of(ssh), lab.scratchDir())) {
                Map<Counter, Long> before = world.enforcer.counters();
                int[] errnos = elsewhere.run(List.of(tcp4("10.20.1.1", 22), tcp4("10.20.1.1", 23)));
                Map<Counter, Long> after = world.enforcer.counters();
                assertNotEquals(Prober.EPERM, errnos[0], "granted, in another namespace");
                assertNotEquals(Prober.EPERM, errnos[1], "not granted, in another namespace");
                assertEquals(1, after.get(Counter.ALLOW_INTERNAL) - before.get(Counter.ALLOW_INTERNAL));
                assertEquals(0, after.get(Counter.DENY_NO_GRANT) - before.get(Counter.DENY_NO_GRANT));
                assertTrue(after.get(Counter.OTHER_NETNS) - before.get(Counter.OTHER_NETNS) >= 1);
            }
        }
    }

    @Test
    void anAppReachesExactlyItsGrantedProtocolsAndPorts(NetnsLab lab) throws Exception {
        try (EnforcementLab world = EnforcementLab.create(lab, labPolicy())) {
            Path ssh = world.enforcer.addApp("ssh", SSH);
            Prober app = world.prober("ssh", Optional.of(ssh));
            assertAllowed(app, tcp4("10.20.1.1", 22));
            assertDenied(app, tcp4("10.20.1.1", 23));
            assertDenied(app, tcp4("10.20.1.1", 21));
            assertAllowed(app, tcp4("10.20.1.1", 8000));
            assertAllowed(app, tcp4("10.20.1.1", 8099));
            assertDenied(app, tcp4("10.20.1.1", 8100));
            assertDenied(app, tcp4("10.20.1.1", 7999));
            // TCP only: UDP to port 22 is not granted, connected or not.
            assertDenied(app, new Probe("udpc", 4, "10.20.1.1", 22));
            assertDenied(app, new Probe("udps", 4, "10.20.1.1", 22));
            // IPv6: UDP 53 only.
            assertAllowed(app, new Probe("udpc", 6, "fd10:20::53", 53));
            assertAllowed(app, new Probe("udps", 6, "fd10:20::53", 53));
            assertDenied(app, new Probe("udps", 6, "fd10:20::53", 54));
            assertDenied(app, tcp6("fd10:20::53", 53));
            // IPv4-mapped through an AF_INET6 socket is judged as the IPv4 address.
            assertAllowed(app, tcp6("::ffff:10.20.1.1", 22));
            assertDenied(app, tcp6("::ffff:10.20.1.1", 23));
            assertAllowed(app, tcp6("::ffff:10.20.1.1", 8050));
            assertDenied(app, new Probe("udps", 6, "::ffff:10.20.1.1", 22));
            assertDenied(app, new Probe("udpc", 6, "::ffff:10.20.1.1", 22));
        }
    }

    @Test
    void appsWhoseSlotsAreTakenAreStillFoundThroughTheAppsHash(NetnsLab lab) throws Exception {
        try (EnforcementLab world = EnforcementLab.create(lab, labPolicy())) {
            Path ssh = world.enforcer.addApp("ssh", SSH);
            Path nested = world.childCgroup(ssh, "inner");
            Prober app = world.prober("ssh", Optional.of(ssh));
            Prober deep = world.prober("deep", Optional.of(nested));
            Prober nobody = world.prober("nobody", Optional.empty());
            world.enforcer.useAppsHashOnly();
            assertAllowed(app, tcp4("10.20.1.1", 22));
            assertAllowed(deep, tcp4("10.20.1.1", 22));
            assertDenied(app, tcp4("10.20.1.1", 23));
            assertDenied(nobody, tcp4("10.20.1.1", 22));
        }
    }

    @Test
    void mptcpIsJudgedAsTcp(NetnsLab lab) throws Exception {
        try (EnforcementLab world = EnforcementLab.create(lab, labPolicy())) {
            Prober app = world.prober("ssh", Optional.of(world.enforcer.addApp("ssh", SSH)));
            int allowed = app.run(new Probe("mptcp", 4, "10.20.1.1", 22));
            if (allowed < 0) {
                return; // no MPTCP sockets on this kernel (socket() failed): nothing to judge
            }
            assertTrue(allowed == EINPROGRESS || allowed == 0, "mptcp to a granted port: errno " + allowed);
            assertDenied(app, new Probe("mptcp", 4, "10.20.1.1", 23));
            assertDenied(app, new Probe("mptcp", 6, "fd10:20::1", 22));
        }
    }

    @Test
    void aProcessThatIsNoAppKeepsExternalLanAndLoopbackButNotInternal(NetnsLab lab) throws Exception {
        try (EnforcementLab world = EnforcementLab.create(lab, labPolicy())) {
            world.enforcer.addApp("ssh", SSH);
            Prober nobody = world.prober("nobody", Optional.empty());
            assertDenied(nobody, tcp4("10.20.1.1", 22));
            assertDenied(nobody, tcp6("fd10:20::1", 22));
            assertDenied(nobody, tcp6("::ffff:10.20.1.1", 22));
            assertDenied(nobody, new Probe("udps", 4, "10.20.1.1", 53));
            assertDenied(nobody, new Probe("udpc", 6, "fd10:20::1", 53));
            // External: the Internet side, through inet0.
            assertAllowed(nobody, tcp4("192.0.2.50", 443));
            assertAllowed(nobody, tcp6("2001:db8:2::50", 443));
            assertAllowed(nobody, new Probe("udps", 4, "192.0.2.50", 53));
            assertAllowed(nobody, tcp6("::ffff:192.0.2.50", 443));
            // The exclusion: routed to the LAN namespace, not into the tunnel.
            assertAllowed(nobody, tcp4("10.20.99.1", 80));
            assertAllowed(nobody, tcp6("fd10:20:99::1", 80));
            assertAllowed(nobody, new Probe("udps", 4, "10.20.99.1", 53));
            // Loopback.
            assertAllowed(nobody, tcp4("127.0.0.1", 80));
            assertAllowed(nobody, tcp6("::1", 80));
        }
    }

    @Test
    void descendantsOfAnAppCgroupCountAsTheAppButTheInstanceLevelIsNoApp(NetnsLab lab) throws Exception {
        try (EnforcementLab world = EnforcementLab.create(lab, labPolicy())) {
            Path web = world.enforcer.addApp("web", WEB);
            Path nested = world.childCgroup(world.childCgroup(web, "inner"), "deeper");
            Path instanceLevel = world.childCgroup(world.enforcer.instanceCgroup(), "not-an-app");
            Prober deep = world.prober("deep", Optional.of(nested));
            Prober stray = world.prober("stray", Optional.of(instanceLevel));
            assertAllowed(deep, tcp4("10.20.5.7", 9999));
            assertDenied(deep, tcp4("10.20.6.7", 9999));
            assertDenied(stray, tcp4("10.20.5.7", 9999));
            assertAllowed(stray, tcp4("192.0.2.9", 9999));
        }
    }

    @Test
    void aCgroupRegisteredAsAnIdentityHasItsGrantsForItsOwnProcessesOnlyNotItsChildrenNorAnyoneElse(NetnsLab lab)
            throws Exception {
        Path leaf;
        Path child;
        try (EnforcementLab world = EnforcementLab.create(lab, labPolicy())) {
            Path instance = world.enforcer.instanceCgroup();
            leaf = world.childCgroup(instance.getParent(), instance.getFileName() + ".daemon");
            child = world.childCgroup(leaf, "child");
            world.enforcer.addIdentity("DNS-forwarder", WEB, leaf);
            Prober own = world.prober("own", Optional.of(leaf));
            Prober nested = world.prober("nested", Optional.of(child));
            Prober stranger = world.prober("stranger", Optional.empty());
            assertAllowed(own, tcp4("10.20.5.7", 9999));
            assertAllowed(own, new Probe("udps", 4, "10.20.5.7", 53));
            assertDenied(own, tcp4("10.20.6.7", 9999));
            assertDenied(nested, tcp4("10.20.5.7", 9999));
            assertDenied(nested, new Probe("udps", 4, "10.20.5.7", 53));
            assertDenied(stranger, tcp4("10.20.5.7", 9999));
            assertDenied(stranger, new Probe("udps", 4, "10.20.5.7", 53));

            world.enforcer.removeApp("DNS-forwarder");
            assertTrue(Files.isDirectory(leaf), "a registered cgroup stays: the enforcer did not make it");
            assertDenied(own, tcp4("10.20.5.7", 9999));
        }
        Files.delete(child);
        Files.delete(leaf);
    }

    @Test
    void everyDenyLeavesAnEventAndTheCountersCountEachPath(NetnsLab lab) throws Exception {
        try (EnforcementLab world = EnforcementLab.create(lab, labPolicy())) {
            Prober app = world.prober("ssh", Optional.of(world.enforcer.addApp("ssh", SSH)));
            Prober nobody = world.prober("nobody", Optional.empty());
            Map<Counter, Long> before = world.enforcer.counters();
            world.enforcer.drainEvents();

            assertDenied(app, tcp4("10.20.3.4", 23));
            assertDenied(nobody, new Probe("udps", 6, "fd10:20::7", 53));
            assertAllowed(app, tcp4("10.20.3.4", 22));
            assertAllowed(nobody, tcp4("192.0.2.1", 80));

            List<DenyEvent> events = new ArrayList<>(world.enforcer.pollEvents(Duration.ofSeconds(2)));
            events.addAll(world.enforcer.drainEvents());
            assertEquals(2, events.size(), events.toString());

            DenyEvent noGrant = events.get(0);
            assertEquals(app.pid(), noGrant.pid());
            assertEquals(Optional.of(SSH), noGrant.app());
            assertEquals(InetAddress.getByName("10.20.3.4"), noGrant.destination());
            assertEquals(23, noGrant.port());
            assertEquals(Protocol.TCP, noGrant.protocol());
            assertEquals(Hook.CONNECT4, noGrant.hook());
            assertEquals(Counter.DENY_NO_GRANT, noGrant.reason());
            assertEquals(0, noGrant.uid());
            assertEquals(4, noGrant.family());
            assertTrue(noGrant.comm().startsWith("python3"), noGrant.comm());
            assertEquals(Enforcer.cgroupId(world.enforcer.instanceCgroup().resolve("ssh")), noGrant.cgroupId());

            DenyEvent noApp = events.get(1);
            assertEquals(nobody.pid(), noApp.pid());
            assertEquals(Optional.empty(), noApp.app());
            assertEquals(InetAddress.getByName("fd10:20::7"), noApp.destination());
            assertEquals(Protocol.UDP, noApp.protocol());
            assertEquals(Hook.SENDMSG6, noApp.hook());
            assertEquals(Counter.DENY_NO_APP, noApp.reason());

            Map<Counter, Long> after = world.enforcer.counters();
            assertEquals(1, after.get(Counter.DENY_NO_GRANT) - before.get(Counter.DENY_NO_GRANT));
            assertEquals(1, after.get(Counter.DENY_NO_APP) - before.get(Counter.DENY_NO_APP));
            assertEquals(1, after.get(Counter.ALLOW_INTERNAL) - before.get(Counter.ALLOW_INTERNAL));
            assertTrue(after.get(Counter.EXTERNAL) - before.get(Counter.EXTERNAL) >= 1);
        }
    }

    @Test
    void aFloodOfOneKindOfAttemptLeavesFiveEventsASecondAndAnotherProbeStillLeavesItsOwn(NetnsLab lab)
            throws Exception {
        try (EnforcementLab world = EnforcementLab.create(lab, labPolicy())) {
            Prober nobody = world.prober("nobody", Optional.empty());
            Map<Counter, Long> before = world.enforcer.counters();
            world.enforcer.drainEvents();

            long start = System.nanoTime();
            nobody.run(Collections.nCopies(300, tcp4("10.20.3.4", 23)));
            long seconds = Duration.ofNanos(System.nanoTime() - start).toSeconds();
            assertDenied(nobody, tcp4("10.20.3.4", 24));

            List<DenyEvent> events = new ArrayList<>(world.enforcer.pollEvents(Duration.ofSeconds(2)));
            events.addAll(world.enforcer.drainEvents());
            long flood = events.stream().filter(e -> e.port() == 23).count();
            assertTrue(flood >= 5 && flood <= 5 * (seconds + 2), flood + " events of the flood in " + seconds + " s");
            assertEquals(1, events.stream().filter(e -> e.port() == 24).count(), "the other probe's event");
            Map<Counter, Long> after = world.enforcer.counters();
            assertEquals(301, after.get(Counter.DENY_NO_APP) - before.get(Counter.DENY_NO_APP), "every deny counted");
            assertEquals(
                    300 - flood,
                    after.get(Counter.EVENTS_SUPPRESSED) - before.get(Counter.EVENTS_SUPPRESSED),
                    "every event not emitted counted");
            assertEquals(before.get(Counter.EVENTS_LOST), after.get(Counter.EVENTS_LOST));
        }
    }

    @Test
    void v4MappedAttemptsAreReportedWithTheIpv4DestinationAndTheHookThatSawThem(NetnsLab lab) throws Exception {
        try (EnforcementLab world = EnforcementLab.create(lab, labPolicy())) {
            Prober app = world.prober("ssh", Optional.of(world.enforcer.addApp("ssh", SSH)));
            world.enforcer.drainEvents();
            assertDenied(app, tcp6("::ffff:10.20.3.4", 23));
            assertDenied(app, new Probe("udps", 6, "::ffff:10.20.3.4", 24));
            assertDenied(app, new Probe("udpc", 6, "::ffff:10.20.3.4", 25));
            List<DenyEvent> events = new ArrayList<>(world.enforcer.pollEvents(Duration.ofSeconds(2)));
            events.addAll(world.enforcer.drainEvents());
            assertEquals(3, events.size(), events.toString());
            for (DenyEvent event : events) {
                assertEquals(InetAddress.getByName("10.20.3.4"), event.destination());
            }
            assertEquals(
                    List.of(Hook.CONNECT6, OBSERVED_MAPPED_SENDMSG_HOOK, Hook.CONNECT6),
                    events.stream().map(DenyEvent::hook).toList());
            assertEquals(
                    List.of(23, 24, 25), events.stream().map(DenyEvent::port).toList());
        }
    }

    /** Which hook sees an AF_INET6 UDP sendto() to a v4-mapped address on this kernel. */
    static final Hook OBSERVED_MAPPED_SENDMSG_HOOK =
            Hook.SENDMSG4; // udpv6_sendmsg hands mapped destinations to udp_sendmsg

    @Test
    void aPublishedGenerationDecidesTheNextAttempt(NetnsLab lab) throws Exception {
        try (EnforcementLab world = EnforcementLab.create(lab, labPolicy())) {
            Prober app = world.prober("ssh", Optional.of(world.enforcer.addApp("ssh", SSH)));
            assertAllowed(app, tcp4("10.20.1.1", 22));
            world.publish(EnforcementLab.basePolicy().build()); // grant revoked
            assertDenied(app, tcp4("10.20.1.1", 22));
            world.publish(labPolicy());
            assertAllowed(app, tcp4("10.20.1.1", 22));
            // 10.20.1.0/24 becomes an exclusion: no longer internal, so even the stray is allowed.
            world.publish(Policy.builder()
                    .internal(EnforcementLab.INTERNAL_V4, 0)
                    .exclude("10.20.1.0/24")
                    .build());
            assertAllowed(app, tcp4("10.20.1.1", 23));
            assertDenied(app, tcp4("10.20.2.1", 22));
            assertEquals(4, world.enforcer.generation());
        }
    }

    @Test
    void closeDetachesUnpinsAndRemovesTheCgroups(NetnsLab lab) throws Exception {
        EnforcementLab world = EnforcementLab.create(lab, labPolicy());
        Path pins = world.enforcer.pinDirectory();
        Path instance = world.enforcer.instanceCgroup();
        List<Integer> ids = new ArrayList<>();
        try {
            world.enforcer.addApp("ssh", SSH);
            for (Hook hook : Hook.values()) {
                if (hook.layer() != Hook.Layer.SOCK_ADDR) {
                    continue; // the backstop is attached to a tunnel device, not to the cgroup
                }
                ids.add(world.enforcer.program(hook).id());
            }
            String attached = bpftoolCgroupShow(world.enforcer.config().attachAt());
            for (int id : ids) {
                assertTrue(attachedIds(attached).contains(id), id + " in " + attached);
            }
            assertTrue(Files.exists(pins.resolve("link_connect4")));
            assertTrue(Files.exists(instance.resolve("ssh")));
            Prober nobody = world.prober("nobody", Optional.empty());
            assertDenied(nobody, tcp4("10.20.1.1", 22));
        } finally {
            world.close();
        }
        String attached = bpftoolCgroupShow(world.enforcer.config().attachAt());
        for (int id : ids) {
            assertFalse(attachedIds(attached).contains(id), id + " still attached: " + attached);
        }
        assertFalse(Files.exists(pins), pins + " removed");
        assertFalse(Files.exists(instance), instance + " removed");
        // And the namespace is free again.
        try (Prober after = Prober.start("after", world.client.name(), Optional.empty(), lab.scratchDir())) {
            assertAllowed(after, tcp4("10.20.1.1", 22));
        }
    }

    @Test
    void releasedEnforcementStaysInForceUntilThePinsAreRemoved(NetnsLab lab) throws Exception {
        EnforcementLab world = EnforcementLab.create(lab, labPolicy());
        Enforcer.Config config = world.enforcer.config();
        try (Prober nobody = Prober.start("nobody", world.client.name(), Optional.empty(), lab.scratchDir())) {
            try {
                world.enforcer.release();
                assertThrows(IllegalStateException.class, () -> world.enforcer.counters());
                assertDenied(nobody, tcp4("10.20.1.1", 22)); // the daemon is gone, the pins enforce
                assertThrows(
                        FileAlreadyExistsException.class,
                        () -> Enforcer.start(config, labPolicy()).close());
            } finally {
                Enforcer.removePinned(config);
            }
            assertAllowed(nobody, tcp4("10.20.1.1", 22));
        }
        assertFalse(Files.exists(config.pinDirectory()));
        assertFalse(Files.exists(config.instanceCgroup()));
    }

    @Test
    void theProgramsPassTheVerifierAndTheNoOpProbeStillLoads() throws Exception {
        try (BpfObject object = BpfObject.openBundled("enforce")) {
            object.load();
            assertEquals(
                    KernelLayout.KEY_SIZE, object.map("generation_template").keySize());
            assertEquals(
                    KernelLayout.VALUE_SIZE, object.map("generation_template").valueSize());
            assertEquals(KernelLayout.CONFIG_SIZE, object.map("config").valueSize());
        }
    }

    static List<Integer> attachedIds(String bpftool) {
        List<Integer> ids = new ArrayList<>();
        for (String line : bpftool.split("\n")) {
            String[] words = line.strip().split("\\s+");
            if (words.length > 0 && words[0].matches("\\d+")) {
                ids.add(Integer.parseInt(words[0]));
            }
        }
        return ids;
    }

    static String bpftoolCgroupShow(Path cgroup) throws IOException, InterruptedException {
        Process process = new ProcessBuilder("bpftool", "cgroup", "show", cgroup.toString())
                .redirectErrorStream(true)
                .start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, process.waitFor(), out);
        return out;
    }
}
