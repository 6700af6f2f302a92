package dev.wgpr.client.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.wgpr.client.control.DaemonStatus;
import dev.wgpr.client.control.EnforcementStatus;
import dev.wgpr.client.control.TunnelStatus;
import dev.wgpr.client.control.TunnelStatuses;
import dev.wgpr.enforcement.policy.Protocol;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The trace's verdicts from what {@code status} reports, decided by the ReferenceModel on the policy the
 * daemon would compile: grants clipped to their own tunnel, excluded apps around a full tunnel.
 */
class JudgeTest {
    private static final String SSH = "/sys/fs/cgroup/wg-pr.slice/wg-pr/ssh";
    private static final String BROWSER = "/sys/fs/cgroup/wg-pr.slice/wg-pr/browser";

    @Test
    void anAppsGrantInOneTunnelDoesNotReachWhatAnotherTunnelsMoreSpecificPrefixCarries() {
        Judge judge = Judge.of(
                status(
                        tunnel("corp", List.of("10.20.0.0/16"), List.of(app("ssh", "10.20.0.0/16", SSH)), Map.of()),
                        tunnel("lab", List.of("10.20.5.0/24"), List.of(app("ssh", "10.20.5.10/32", SSH)), Map.of())),
                Optional.empty());

        assertEquals("tunnel lab allowed", words(judge, SSH, "10.20.5.10"));
        assertEquals("tunnel lab denied", words(judge, SSH, "10.20.5.11"), "corp's grant is clipped to corp's own");
        assertEquals("tunnel corp allowed", words(judge, SSH, "10.20.6.1"));
    }

    @Test
    void anExcludedAppGoesAroundAFullTunnelButNotToItsOwnPrefixes() {
        Judge judge = Judge.of(
                status(tunnel(
                        "full",
                        List.of("0.0.0.0/0", "10.30.0.0/16"),
                        List.of(app("ssh", "10.30.0.0/16", SSH)),
                        Map.of("browser", BROWSER))),
                Optional.empty());

        assertEquals("underlay allowed", words(judge, BROWSER, "198.51.100.7"));
        assertEquals("tunnel full denied", words(judge, BROWSER, "10.30.0.1"));
        assertEquals("tunnel full LEAK", words(judge, "/user.slice/other", "198.51.100.7"));
        assertEquals("tunnel full allowed", words(judge, SSH, "10.30.0.1"));
    }

    @Test
    void aGrantBoundToTheAppsProgramsCoversOnlyAProcessRunningOneOfThem() {
        Judge judge = Judge.of(boundToSsh(List.of("254:1/1835011")), Optional.empty());

        assertEquals("tunnel corp allowed", words(judge, sender(SSH, "254:1/1835011"), "10.20.0.1"), "ssh itself");
        assertEquals(
                "tunnel corp denied",
                words(judge, sender(SSH, "254:1/1835099"), "10.20.0.1"),
                "its ProxyCommand's shell, in its cgroup");
        assertEquals("tunnel corp denied", words(judge, sender(SSH, null), "10.20.0.1"), "a program it cannot read");
        assertEquals("underlay allowed", words(judge, sender(SSH, "254:1/1835099"), "198.51.100.7"));
    }

    @Test
    void aProgramTheDaemonRegisteredAfterTheFirstStatusIsAskedAboutOnce() {
        List<String> asked = new ArrayList<>();
        Judge judge = Judge.of(boundToSsh(List.of()), Optional.empty(), () -> {
            asked.add("status");
            return Optional.of(boundToSsh(List.of("254:1/1835011")));
        });

        assertEquals("tunnel corp allowed", words(judge, sender(SSH, "254:1/1835011"), "10.20.0.1"), "launched since");
        assertEquals("tunnel corp denied", words(judge, sender(SSH, "254:1/1835099"), "10.20.0.1"));
        assertEquals("tunnel corp denied", words(judge, sender(SSH, "254:1/1835099"), "10.20.0.2"));
        assertEquals(List.of("status", "status"), asked, "once per program it did not know");
    }

    /** Tunnel corp whose app ssh has its grants bound to {@code executables}. */
    private static DaemonStatus boundToSsh(List<String> executables) {
        TunnelStatus corp = tunnel("corp", List.of("10.20.0.0/16"), List.of(app("ssh", "10.20.0.0/16", SSH)), Map.of());
        EnforcementStatus bound = new EnforcementStatus(
                EnforcementStatus.ACTIVE,
                null,
                null,
                null,
                List.of(),
                null,
                null,
                List.of(),
                List.of(),
                Map.of("ssh", new EnforcementStatus.App(1, SSH, List.of("10.20.0.0/16"), executables)),
                null,
                null,
                null,
                null,
                Map.of(),
                null);
        return new DaemonStatus(DaemonStatus.SCHEMA, "test", null, List.of(corp), bound, List.of());
    }

    private static String words(Judge judge, String cgroup, String destination) {
        return words(judge, sender(cgroup, null), destination);
    }

    private static String words(Judge judge, Sender sender, String destination) {
        Verdict v = judge.judge(sender, InetAddress.ofLiteral(destination), Protocol.TCP, 22);
        return v.route() + " " + (v.leak() ? "LEAK" : v.allowed() ? "allowed" : "denied");
    }

    /** A process of {@code cgroup} that runs {@code executable} (null: unreadable). */
    private static Sender sender(String cgroup, String executable) {
        return new Sender() {
            @Override
            public String cgroup() {
                // /proc/PID/cgroup paths are relative to the cgroup2 mount: the judge matches them by their tail
                return cgroup.replaceFirst("^/sys/fs/cgroup", "");
            }

            @Override
            public Optional<String> executable() {
                return Optional.ofNullable(executable);
            }
        };
    }

    private static DaemonStatus status(TunnelStatus... tunnels) {
        return new DaemonStatus(DaemonStatus.SCHEMA, "test", null, List.of(tunnels), null, List.of());
    }

    private static TunnelStatus.App app(String name, String grant, String cgroup) {
        return new TunnelStatus.App(name, "gw", null, null, List.of(grant), cgroup);
    }

    private static TunnelStatus tunnel(
            String name, List<String> allowedIPs, List<TunnelStatus.App> apps, Map<String, String> excluded) {
        return TunnelStatuses.withApps(
                name,
                List.of(),
                List.of(TunnelStatus.Peer.configured("gw", "key", null, null, allowedIPs)),
                apps,
                excluded);
    }
}
