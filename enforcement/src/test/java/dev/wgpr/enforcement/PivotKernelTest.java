package dev.wgpr.enforcement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.common.linux.OwnedFd;
import dev.wgpr.enforcement.bpf.Bpf;
import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.RequiresRoot;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The pivot suite: an unprivileged process on the laptop tries every
 * vector we know to reach a host on the internal network behind the tunnel. Each must fail, nothing
 * of it may arrive at the internal network (a packet capture there says so), and each the hooks see
 * must leave a deny event. This lab attaches an enforcer by hand; ProductPivotTest (client) runs the
 * same vectors against the product's own {@code wg-pr up}, and bench/pivots prints that table.
 */
@RequiresRoot
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
class PivotKernelTest {
    /** Same-uid vectors: what a process of the authorized app's own user can try on the app. */
    static final List<String> SAME_UID_VECTORS = List.of(
            "borrow-pidfd-getfd",
            "borrow-ptrace-seize",
            "borrow-proc-pid-mem",
            "borrow-process-vm-writev",
            "cgroup-join-app",
            "tcp4-connect",
            "udp4-sendto",
            "scm-rights-udp-from-unauthorized");

    @Test
    void noUnprivilegedProcessReachesTheInternalNetworkByAnyVector(NetnsLab netns) throws Exception {
        try (PivotLab lab = PivotLab.create(netns)) {
            PivotSuite suite = new PivotSuite(lab);
            Agent app = lab.agent("app", PivotLab.APP_UID, Optional.of(lab.sshApp));
            app.ask("NODUMP"); // what the launcher makes of app processes (see DESIGN: hardening)
            String heldFd = app.ask("HOLD");
            String served = lab.socketPath("app-sockets");
            app.ask("SERVE " + served);

            Agent nobody = lab.agent("nobody", PivotLab.NOBODY, Optional.empty());
            nobody.ask("APPPID " + app.pid());
            nobody.ask("APPFD " + heldFd);
            nobody.ask("SERVED " + served);
            for (String vector : nobody.vectors()) {
                suite.run(nobody, vector);
            }
            Agent sameUid = lab.agent("same-uid", PivotLab.APP_UID, Optional.empty());
            sameUid.ask("APPPID " + app.pid());
            sameUid.ask("APPFD " + heldFd);
            for (String vector : SAME_UID_VECTORS) {
                suite.run(sameUid, vector);
            }
            // An app process that left itself dumpable: the kernel lets its own user take its
            // socket, but a socket is judged by who connects with it.
            Agent dumpable = lab.agent("app2", PivotLab.APP_UID, Optional.of(lab.sshApp));
            sameUid.ask("APPPID " + dumpable.pid());
            sameUid.ask("APPFD " + dumpable.ask("HOLD"));
            suite.run(sameUid, "borrow-pidfd-getfd", "(dumpable-app)", true);
            Agent forwarded = lab.agent("forwarded", lab.container, 0, Optional.empty());
            for (String vector : Agent.FORWARDED_VECTORS) {
                suite.run(forwarded, vector);
            }
            System.out.println(suite.table());
            assertTrue(
                    suite.rows().size() >= 60,
                    "at least 60 attempts, made " + suite.rows().size());
            assertEquals(suite.rows().size(), suite.blocked(), suite.table());
        }
    }

    static void assertOutcome(Agent agent, String vector, String... expected) throws Exception {
        Agent.Result result = agent.run(vector);
        assertTrue(
                List.of(expected).contains(result.outcome()),
                agent.label() + " " + vector + ": expected " + List.of(expected) + ", got " + result);
    }

    /**
     * The other direction (issue 22): from the internal network, TCP and UDP over IPv4 and IPv6 to listeners
     * on the laptop's tunnel addresses of a process that is no app. Under the default {@code incoming}
     * ("apps") none is reached, none receives anything, and each attempt leaves an inbound deny event naming
     * its port.
     */
    @Test
    void fromTheInternalNetworkNoListenerOfAProcessThatIsNoAppIsReached(NetnsLab netns) throws Exception {
        String tunnel6 = "fd10:20:ffff::1";
        try (PivotLab lab = PivotLab.create(netns);
                Listener tcp4 = lab.world.listen("tcp", "4", 2222, Optional.empty());
                Listener tcp6 = lab.world.listen("tcp", "6", 2223, Optional.empty());
                Listener udp4 = lab.world.listen("udp", "4", 5060, Optional.empty());
                Listener udp6 = lab.world.listen("udp", "6", 5061, Optional.empty())) {
            lab.world.enforcer.drainEvents();
            assertFalse(InboundListenKernelTest.connects(lab.corp, PivotLab.TUN_ADDR4, 2222), "tcp4 reached");
            assertFalse(InboundListenKernelTest.connects(lab.corp, tunnel6, 2223), "tcp6 reached");
            assertFalse(InboundListenKernelTest.exchanges(lab.corp, PivotLab.TUN_ADDR4, 5060, 40_000), "udp4");
            assertFalse(InboundListenKernelTest.exchanges(lab.corp, tunnel6, 5061, 40_000), "udp6 answered");
            for (Listener listener : List.of(tcp4, tcp6, udp4, udp6)) {
                assertNull(listener.next(Duration.ofMillis(200)), "a listener that is no app's got something");
            }
            List<DenyEvent> events = new ArrayList<>(lab.world.enforcer.pollEvents(Duration.ofMillis(500)));
            events.addAll(lab.world.enforcer.drainEvents());
            for (int port : List.of(2222, 2223, 5060, 5061)) {
                assertTrue(
                        events.stream().anyMatch(e -> e.hook() == Hook.INBOUND && e.port() == port),
                        "an inbound event for port " + port + ": " + events);
            }
        }
    }

    @Test
    void theAuthorizedAppsReachExactlyTheirGrantsThroughBothLayers(NetnsLab netns) throws Exception {
        try (PivotLab lab = PivotLab.create(netns)) {
            Agent ssh = lab.agent("ssh", PivotLab.APP_UID, Optional.of(lab.sshApp));
            long before = lab.arrived().packets();
            assertOutcome(ssh, "tcp4-connect", "connected");
            assertOutcome(ssh, "tcp6-connect", "connected");
            assertOutcome(ssh, "tcp6-v4mapped", "connected");
            assertOutcome(ssh, "mptcp4-connect", "connected");
            assertOutcome(ssh, "tcp4-fastopen-sendto", "connected");
            assertOutcome(ssh, "io_uring-connect4", "connected");
            assertOutcome(ssh, "udp6-sendto", "replied");
            assertOutcome(ssh, "udp6-sendmmsg", "replied");
            assertOutcome(ssh, "udp4-dns-internal-resolver", "replied");
            // Through the tunnel by SO_BINDTODEVICE to an address the client routes to its LAN:
            // the backstop judges it by the app's grants (10.20.0.0/16 tcp/22 covers it).
            assertOutcome(ssh, "tcp4-bindtodevice-excluded-dst", "connected");
            assertTrue(lab.arrived().packets() > before, "the allowed cases arrived at the internal host");
            // ... and not a port or protocol more.
            assertOutcome(ssh, "tcp4-connect-http", "denied");
            assertOutcome(ssh, "tcp4-port-above-range", "denied");
            assertOutcome(ssh, "udp4-tcp-only-port-22", "denied");
            assertOutcome(ssh, "icmp4-ping-socket-sendto", "failed", "sent"); // no portless grant: the backstop drops
            assertOutcome(ssh, "udp4-bindtodevice-excluded-dst", "failed", "sent");

            Agent web = lab.agent("web", PivotLab.APP_UID, Optional.of(lab.webApp));
            assertOutcome(web, "control-icmp4-ping-web-host", "replied");
            assertOutcome(web, "control-icmp4-setcap-ping-web-host", "replied");
            assertOutcome(web, "control-tcp4-web-any-port", "connected");
            assertOutcome(web, "control-udp4-web-any-port", "replied");
            assertOutcome(web, "tcp4-connect", "denied");
            Map<Counter, Long> counters = lab.world.enforcer.counters();
            assertTrue(counters.get(Counter.TUNNEL_PASS) > 0, counters.toString());
            assertTrue(counters.get(Counter.DENY_NO_GRANT) > 0, counters.toString());
        }
    }

    @Test
    void unauthorizedProcessesKeepTheInternetTheLanAndLoopback(NetnsLab netns) throws Exception {
        try (PivotLab lab = PivotLab.create(netns)) {
            Agent nobody = lab.agent("nobody", PivotLab.NOBODY, Optional.empty());
            assertOutcome(nobody, "control-tcp4-internet", "connected");
            assertOutcome(nobody, "control-tcp6-internet", "connected");
            assertOutcome(nobody, "control-tcp6-v4mapped-internet", "connected");
            assertOutcome(nobody, "control-udp4-internet", "replied");
            assertOutcome(nobody, "control-tcp4-lan-exclusion", "connected");
            assertOutcome(nobody, "control-tcp6-lan-exclusion", "connected");
            assertOutcome(nobody, "control-udp4-lan-exclusion", "replied");
            assertOutcome(nobody, "control-tcp4-loopback", "connected");
            assertOutcome(nobody, "control-tcp6-loopback", "connected");
            assertOutcome(nobody, "tcp4-connect", "denied");
        }
    }

    @Test
    void forwardedTrafficEntersTheTunnelOnlyWhenThePolicyAllowsForwarding(NetnsLab netns) throws Exception {
        try (PivotLab lab = PivotLab.create(netns)) {
            Agent container = lab.agent("forwarded", lab.container, 0, Optional.empty());
            lab.world.enforcer.drainEvents();
            long before = lab.arrived().packets();
            assertOutcome(container, "icmp4-setcap-ping-binary", "failed");
            assertEquals(before, lab.arrived().packets(), "nothing forwarded entered the tunnel");
            assertTrue(lab.world.enforcer.counters().get(Counter.DENY_FORWARDED) > 0);
            List<DenyEvent> events = lab.world.enforcer.pollEvents(Duration.ofMillis(200));
            assertTrue(
                    events.stream()
                            .anyMatch(e -> e.reason() == Counter.DENY_FORWARDED
                                    && e.hook() == Hook.TUNNEL
                                    && e.destination().getHostAddress().equals(PivotLab.T4)),
                    events.toString());

            lab.world.enforcer.publish(
                    PivotLab.policyBuilder().allowForwarding(true).build());
            assertOutcome(container, "icmp4-setcap-ping-binary", "replied");
            assertOutcome(container, "tcp4-connect", "connected");

            lab.world.enforcer.publish(PivotLab.policy());
            assertOutcome(container, "tcp4-connect", "failed");
        }
    }

    @Test
    void withoutAGenerationBothLayersDenyEverythingInTheTunnelNamespace(NetnsLab netns) throws Exception {
        try (PivotLab lab = PivotLab.create(netns)) {
            Agent web = lab.agent("web", PivotLab.APP_UID, Optional.of(lab.webApp));
            assertOutcome(web, "control-icmp4-ping-web-host", "replied");
            // Someone (a bug, a tool) empties the generation slot: fail closed, not open.
            try (OwnedFd generations =
                    Bpf.pinned(lab.world.enforcer.pinDirectory().resolve("generations"))) {
                assertTrue(Bpf.delete(generations.fd(), KernelLayout.u32(0)));
            }
            lab.world.enforcer.drainEvents();
            long before = lab.arrived().packets();
            assertOutcome(web, "control-tcp4-web-any-port", "denied"); // sock_addr
            assertOutcome(web, "control-icmp4-ping-web-host", "failed", "sent"); // only the backstop sees it
            assertEquals(before, lab.arrived().packets(), "nothing entered the tunnel");
            List<DenyEvent> events = lab.world.enforcer.pollEvents(Duration.ofMillis(200));
            assertTrue(
                    events.stream().anyMatch(e -> e.reason() == Counter.DENY_NO_POLICY && e.hook() == Hook.TUNNEL),
                    events.toString());
            assertTrue(
                    events.stream().anyMatch(e -> e.reason() == Counter.DENY_NO_POLICY && e.hook() == Hook.CONNECT4),
                    events.toString());
            lab.world.enforcer.publish(PivotLab.policy());
            assertOutcome(web, "control-icmp4-ping-web-host", "replied");
        }
    }

    @Test
    void detachingTheBackstopLeavesNoFilterAndNoQdiscOnTheTunnel(NetnsLab netns) throws Exception {
        try (PivotLab lab = PivotLab.create(netns)) {
            String filters = lab.client.run("tc", "filter", "show", "dev", lab.tunnel, "egress");
            assertTrue(filters.contains("wgpr_tunnel_egr") && filters.contains("handle 0x77677072"), filters);
            assertTrue(lab.world.enforcer.tunnelFilters().containsKey(lab.tunnelIfindex));
            assertTrue(lab.client.call(() -> lab.world.enforcer.detachTunnel(lab.tunnelIfindex)));
            assertEquals(
                    "",
                    lab.client
                            .run("tc", "filter", "show", "dev", lab.tunnel, "egress")
                            .strip());
            String qdiscs = lab.client.run("tc", "qdisc", "show", "dev", lab.tunnel);
            assertTrue(!qdiscs.contains("clsact"), qdiscs);
            assertTrue(!Files.exists(lab.world.enforcer.pinDirectory().resolve("prog_tunnel")));
            // Without the backstop, a BINDTODEVICE pivot to an address the client routes to its LAN
            // gets through: this is what the backstop is for.
            Agent nobody = lab.agent("nobody", PivotLab.NOBODY, Optional.empty());
            assertOutcome(nobody, "tcp4-bindtodevice-excluded-dst", "connected");
        }
    }

    @Test
    void aSameUserProcessCanStillPtraceADumpableAppProcessOnThisKernel(NetnsLab netns) throws Exception {
        // A documented limit (enforcement/DESIGN.md, "Same-user borrowing"): without Yama and with
        // BPF LSM programs refused, only the app process itself (PR_SET_DUMPABLE 0 after its exec)
        // or a distinct uid keeps its own user out. If this starts failing, the kernel got stricter.
        try (PivotLab lab = PivotLab.create(netns)) {
            Agent app = lab.agent("app", PivotLab.APP_UID, Optional.of(lab.sshApp));
            Agent sameUid = lab.agent("same-uid", PivotLab.APP_UID, Optional.empty());
            sameUid.ask("APPPID " + app.pid());
            assertEquals("connected", sameUid.run("borrow-ptrace-seize").outcome());
            assertEquals("1", app.ask("NODUMP").strip().equals("0") ? "1" : "0", "PR_SET_DUMPABLE 0 took");
            assertEquals("failed", sameUid.run("borrow-ptrace-seize").outcome());
            assertEquals("failed", sameUid.run("borrow-proc-pid-mem").outcome());
        }
    }
}
