package dev.wgpr.enforcement;

import static dev.wgpr.enforcement.EnforcementKernelTest.assertAllowed;
import static dev.wgpr.enforcement.EnforcementKernelTest.assertDenied;
import static dev.wgpr.enforcement.EnforcementKernelTest.tcp4;
import static dev.wgpr.enforcement.EnforcementKernelTest.tcp6;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.enforcement.Prober.Probe;
import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.RequiresRoot;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * others = "bypass" in the kernel (enforcement/DESIGN.md, "Modes"): a non-app's traffic to a bypassed
 * prefix is allowed and its socket carries the instance's mark, which a fwmark rule in the lab namespace
 * sends to a table of {@code prohibit} routes. So EACCES (13) from a probe proves both halves at once: the
 * hook let it through (not EPERM) and routing saw the mark (an unmarked socket takes the stand-in tunnel
 * and gets EINPROGRESS). The prohibit table stands in for the underlay mirror the daemon will install.
 */
@RequiresRoot
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
class BypassKernelTest {
    private static final int EACCES = 13;
    private static final AppId SSH = AppId.of(1);
    /** Never internal: only a socket marked at birth (the hooks judge no external destination) is steered. */
    private static final String EXTERNAL_STEERED = "198.51.100.0/24";
    /** External and never around: only a marked socket meets the prohibit route there. */
    private static final String UNROUTED_ELSEWHERE = "203.0.113.0/24";

    private static Policy bypassV4DenyV6() {
        return Policy.builder()
                .bypass(EnforcementLab.INTERNAL_V4, 0)
                .internal(EnforcementLab.INTERNAL_V6, 0)
                .exclude(EnforcementLab.EXCLUDED_V4)
                .exclude(EnforcementLab.EXCLUDED_V6)
                .grant(SSH, "10.20.0.0/16 tcp/22")
                .grant(SSH, "fd10:20::/32 tcp/22")
                .build();
    }

    private static void assertSteered(Prober prober, Probe probe) throws Exception {
        assertEquals(EACCES, prober.run(probe), probe + ": allowed and marked, so the mark's prohibit route answers");
    }

    @Test
    void nonAppsGoAroundABypassedPrefixByTheMarkOnlyWhileTheMarkIsInForce(NetnsLab lab) throws Exception {
        try (EnforcementLab world = EnforcementLab.create(lab, bypassV4DenyV6())) {
            int mark = KernelLayout.bypassMark(world.enforcer.config().instance());
            String table = Integer.toString(1000 + (mark & 0xfff));
            String fwmark = "0x" + Integer.toHexString(mark);
            world.client.ip("rule", "add", "fwmark", fwmark, "lookup", table, "pref", "1000");
            world.client.ip("-6", "rule", "add", "fwmark", fwmark, "lookup", table, "pref", "1000");
            world.client.ip("route", "add", "prohibit", EnforcementLab.INTERNAL_V4, "table", table);
            world.client.ip("route", "add", "prohibit", EXTERNAL_STEERED, "table", table);
            // The mirror would hold the LAN's route; throw hands the exclusion back to main, which has it.
            world.client.ip("route", "add", "throw", EnforcementLab.EXCLUDED_V4, "table", table);
            world.client.ip("-6", "route", "add", "prohibit", EnforcementLab.INTERNAL_V6, "table", table);
            Path sshCgroup = world.enforcer.addApp("ssh", SSH);
            Prober nobody = world.prober("nobody", Optional.empty());
            Prober ssh = world.prober("ssh", Optional.of(sshCgroup));

            // No mark in force: a bypassed prefix is denied (fail closed), nothing is marked.
            assertDenied(nobody, tcp4("10.20.1.1", 80));
            assertAllowed(nobody, tcp4("198.51.100.1", 80));
            assertEquals(0, nobody.run(new Probe("keep", 4, "0.0.0.0", 0))); // sockets made before the steering

            world.enforcer.steerOthers(mark);
            // A socket made before the steering carries no mark: the hook marks it, and TCP's connect
            // routes after the hook, so the very connect is steered. UDP's sendmsg has read the
            // socket's mark into the send before the hook runs (6.18): the first datagram leaves
            // unmarked (into the tunnel, whose backstop drops a non-app's packet: fail closed), the
            // next are steered.
            assertSteered(nobody, new Probe("oldtcp", 4, "10.20.1.1", 80));
            assertEquals(
                    0,
                    nobody.run(new Probe("oldudps", 4, "10.20.1.1", 53)),
                    "the first datagram of an old UDP socket is routed by main: not steered");
            assertSteered(nobody, new Probe("oldudps", 4, "10.20.1.1", 53));
            assertEquals(mark, world.enforcer.othersMark());
            assertSteered(nobody, tcp4("10.20.1.1", 80));
            assertSteered(nobody, new Probe("udps", 4, "10.20.1.1", 53));
            assertSteered(nobody, new Probe("udpc", 4, "10.20.1.1", 53));
            assertSteered(nobody, tcp4("198.51.100.1", 80)); // marked at sock_create
            assertDenied(nobody, tcp6("fd10:20::1", 22)); // a deny tunnel's prefix stays denied
            assertAllowed(ssh, tcp4("10.20.1.1", 22)); // the app's socket is unmarked: into the tunnel
            assertAllowed(ssh, tcp4("198.51.100.1", 80));
            assertDenied(ssh, tcp4("10.20.1.1", 23)); // an app outside its grants is not bypassed
            assertAllowed(nobody, tcp4("10.20.99.1", 80)); // an exclusion is external, and the LAN's

            world.enforcer.steerOthers(0);
            assertDenied(nobody, tcp4("10.20.1.1", 80));
            assertAllowed(nobody, tcp4("198.51.100.1", 80));
            assertTrue(world.enforcer.counters().get(Counter.BYPASSED) >= 3, "bypasses are counted");
        }
    }

    @Test
    void anExcludedAppGoesAroundWhatItMayAndOnlyItsSocketsAreMarkedWhenOthersAreNotSteered(NetnsLab lab)
            throws Exception {
        AppId torrent = AppId.excluded(1);
        Policy policy = Policy.builder()
                .internal(EnforcementLab.INTERNAL_V4, 0)
                .aroundForExcluded(EXTERNAL_STEERED, 0) // stands in for a full tunnel's 0.0.0.0/1
                .exclude(EnforcementLab.EXCLUDED_V4)
                .grant(SSH, "10.20.0.0/16 tcp/22")
                .build();
        try (EnforcementLab world = EnforcementLab.create(lab, policy)) {
            int mark = KernelLayout.bypassMark(world.enforcer.config().instance());
            String table = Integer.toString(1000 + (mark & 0xfff));
            world.client.ip("rule", "add", "fwmark", "0x" + Integer.toHexString(mark), "lookup", table, "pref", "1000");
            for (String prefix : List.of(EnforcementLab.INTERNAL_V4, EXTERNAL_STEERED, UNROUTED_ELSEWHERE)) {
                world.client.ip("route", "add", "prohibit", prefix, "table", table);
            }
            Prober excluded = world.prober("torrent", Optional.of(world.enforcer.addApp("torrent", torrent)));
            Prober nobody = world.prober("nobody", Optional.empty());

            assertDenied(excluded, tcp4("198.51.100.1", 80)); // no steering in force: fail closed
            world.enforcer.steer(mark, false);
            assertSteered(excluded, tcp4("198.51.100.1", 80));
            assertSteered(excluded, new Probe("udps", 4, "198.51.100.1", 53));
            assertSteered(excluded, tcp4("203.0.113.1", 80)); // marked at birth, though external
            assertDenied(excluded, tcp4("10.20.1.1", 22)); // a deny tunnel's own prefix: not around
            assertDenied(nobody, tcp4("198.51.100.1", 80)); // others are not steered: denied as ever
            assertAllowed(nobody, tcp4("203.0.113.1", 80)); // and unmarked
            world.enforcer.steer(0, false);
            assertDenied(excluded, tcp4("198.51.100.1", 80));
        }
    }
}
