package dev.wgpr.client.cli;

import dev.wgpr.client.control.ControlStatus;
import dev.wgpr.client.control.DaemonStatus;
import dev.wgpr.client.control.EnforcementStatus;
import dev.wgpr.client.control.LockdownStatus;
import dev.wgpr.client.control.Protocol;
import dev.wgpr.client.control.TunnelStatus;
import dev.wgpr.client.dns.DnsCounters;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Representative states of {@code wg-pr status}, as a daemon would send them, and the fixed clock they are read
 * at: the golden files of the text and the JSON schema test render the same states.
 */
enum StatusStates {
    NO_DAEMON(DaemonStatus.noDaemon("wg-pr"), false),
    NO_TUNNEL(status(List.of(), EnforcementStatus.idle(), List.of()), false),
    PER_PREFIX(perPrefix(), false),
    DI_SEMI_DEFAULT_WITH_BYPASS_AND_DNS(status(List.of(fullTunnel()), enforcement(), List.of()), false),
    NEVER_HANDSHAKEN(status(List.of(neverHandshaken()), enforcement(), List.of()), false),
    PER_PREFIX_VERBOSE(perPrefix(), true);

    /** When the states are read: 2026-12-06 09:00:00 UTC. */
    static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-06T09:00:00Z"), ZoneId.of("UTC"));

    final DaemonStatus status;
    final boolean verbose;

    StatusStates(DaemonStatus status, boolean verbose) {
        this.status = status;
        this.verbose = verbose;
    }

    /** The golden file's name: {@code per-prefix-verbose.txt}. */
    String fileName() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-') + ".txt";
    }

    /** The text of {@code wg-pr status} for this state, at {@link #CLOCK}, on a host with Yama's scope 1. */
    String text() {
        return new StatusText(
                        CLOCK,
                        verbose,
                        guard -> guard
                                ? "BPF LSM program (wg-pr's borrow guard) refuses ptrace to processes outside"
                                : "Yama ptrace_scope 1: ptrace refused to processes that are not ancestors")
                .render(status);
    }

    private static DaemonStatus perPrefix() {
        return status(List.of(corp()), enforcement(), List.of(new DaemonStatus.RunningApp(7781, "ssh", "corp0", 1000)));
    }

    private static DaemonStatus status(
            List<TunnelStatus> tunnels, EnforcementStatus enforcement, List<DaemonStatus.RunningApp> running) {
        return new DaemonStatus(
                DaemonStatus.SCHEMA,
                "wg-pr",
                new DaemonStatus.Daemon(
                        4242,
                        "2026-12-06T07:55:30Z",
                        "wg-pr",
                        4026531840L,
                        List.of(),
                        List.of(),
                        new LockdownStatus(
                                "locked down",
                                9L,
                                true,
                                true,
                                new LockdownStatus.Capabilities(
                                        List.of("cap_net_admin", "cap_bpf"),
                                        List.of("cap_net_admin", "cap_bpf"),
                                        List.of(),
                                        List.of("cap_net_admin", "cap_bpf"),
                                        List.of()),
                                new LockdownStatus.Landlock(
                                        6L,
                                        "enforced",
                                        List.of("execute", "read_file"),
                                        "bind and connect denied",
                                        "scoped",
                                        List.of("/etc/wg-pr: read")),
                                Map.of("core", "0/0"),
                                false,
                                "pid 4250"),
                        new ControlStatus(Map.of("0", 1), 0, new ControlStatus.Limits(32, 256, 64), 0, 0, 0, 0, 0),
                        Map.of()),
                tunnels,
                enforcement,
                running);
    }

    private static TunnelStatus corp() {
        return new TunnelStatus(
                "corp0",
                "/etc/wg-pr/corp.toml",
                true,
                "per-prefix",
                List.of("10.8.0.2/32"),
                List.of(peer(
                        "gw",
                        "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=",
                        "vpn.example.com:51820",
                        "198.51.100.10:51820",
                        List.of("10.20.0.0/16", "10.30.0.0/24"),
                        new TunnelStatus.Traffic(
                                null, "198.51.100.10:51820", "2026-12-06T08:59:42Z", 1_572_864, 92_160, 25))),
                new TunnelStatus.Device(
                        "userspace",
                        51820,
                        "/run/wireguard/corp0.sock",
                        dropped(Map.of("badMac1", 3L, "replayedCounter", 1L)),
                        Map.of(),
                        null),
                Protocol.BACKSTOP_IN_FORCE,
                new TunnelStatus.Routing(
                        List.of(
                                "address 10.8.0.2/32 on corp0",
                                "link corp0 up",
                                "10.20.0.0/16 dev corp0 proto wg-pr metric 1459634116",
                                "10.30.0.0/24 dev corp0 proto wg-pr metric 1459634116"),
                        List.of(new TunnelStatus.Bypass(
                                "198.51.100.10", null, "reached through the default route, outside the tunnel")),
                        List.of()),
                List.of(new TunnelStatus.App(
                        "ssh",
                        "gw",
                        "/usr/bin/ssh",
                        null,
                        List.of("10.20.0.0/16 tcp/22"),
                        "/sys/fs/cgroup/wg-pr.slice/wg-pr/ssh")),
                null,
                "deny",
                List.of(),
                Map.of());
    }

    private static TunnelStatus fullTunnel() {
        return new TunnelStatus(
                "home0",
                "/etc/wg-pr/home.toml",
                true,
                "di-semi-default",
                List.of("10.79.0.2/32", "fd79::2/128"),
                List.of(peer(
                        "exit",
                        "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=",
                        "203.0.113.5:51820",
                        null,
                        List.of("0.0.0.0/0", "::/0"),
                        new TunnelStatus.Traffic(
                                null, "203.0.113.5:51820", "2026-12-06T07:58:55Z", 734_003_200L, 12_582_912L, 0))),
                new TunnelStatus.Device("kernel", 40000, null, Map.of(), Map.of(), null),
                Protocol.BACKSTOP_IN_FORCE,
                new TunnelStatus.Routing(
                        List.of(
                                "203.0.113.5 via 192.168.1.1 dev eth0 proto wg-pr metric 1459634116"
                                        + " (shared with the daemon's other tunnels to this server)",
                                "0.0.0.0/1 dev home0 proto wg-pr metric 1459634116",
                                "128.0.0.0/1 dev home0 proto wg-pr metric 1459634116",
                                "::/1 dev home0 proto wg-pr metric 1459634116",
                                "8000::/1 dev home0 proto wg-pr metric 1459634116"),
                        List.of(new TunnelStatus.Bypass(
                                "203.0.113.5",
                                "203.0.113.5 via 192.168.1.1 dev eth0 proto wg-pr metric 1459634116",
                                "the tunnel's routes would cover it; it keeps the way it had (via 192.168.1.1 dev"
                                        + " eth0)")),
                        List.of("192.168.1.0/24")),
                List.of(new TunnelStatus.App("browser", "exit", null, null, List.of("0.0.0.0/0", "::/0"), null)),
                new TunnelStatus.Dns(
                        List.of("10.79.0.53"),
                        List.of("home.example"),
                        "apps",
                        List.of("10.79.0.2"),
                        "127.77.9.1",
                        true,
                        "systemd-resolved: asks 10.79.0.2 for ~home.example and every other name (the DNS default"
                                + " route)",
                        new DnsCounters(120, 4, 118, 2, 0)),
                "deny",
                List.of(),
                Map.of());
    }

    private static TunnelStatus neverHandshaken() {
        return new TunnelStatus(
                "lab0",
                "/etc/wg-pr/lab.toml",
                true,
                "per-prefix",
                List.of("10.98.0.2/32"),
                List.of(peer(
                        "far",
                        "Qm5vY2hlaW5TY2hsw7xzc2VsZsO8ckRpZVRlc3RzIQ=",
                        null,
                        null,
                        List.of("10.98.0.0/24"),
                        new TunnelStatus.Traffic(null, null, null, 0, 1_184, 0))),
                new TunnelStatus.Device(
                        "userspace", 51821, "/run/wireguard/lab0.sock", dropped(Map.of()), Map.of(), null),
                Protocol.BACKSTOP_IN_FORCE,
                new TunnelStatus.Routing(
                        List.of("10.98.0.0/24 dev lab0 proto wg-pr metric 1459634116"), List.of(), List.of()),
                List.of(),
                null,
                "deny",
                List.of(),
                Map.of());
    }

    /** A peer as its config has it, with what the device reports of it ({@code traffic}'s key is the peer's). */
    private static TunnelStatus.Peer peer(
            String name,
            String key,
            String endpoint,
            String resolved,
            List<String> allowedIPs,
            TunnelStatus.Traffic traffic) {
        return TunnelStatus.Peer.configured(name, key, endpoint, resolved, allowedIPs)
                .with(traffic);
    }

    /** Every reason the userspace device counts, 0 but for {@code some}. */
    private static Map<String, Long> dropped(Map<String, Long> some) {
        Map<String, Long> all = new LinkedHashMap<>();
        // As the userspace device reports them: the protocol's reasons, then the device's own.
        for (String reason : List.of(
                "malformed",
                "badMac1",
                "unknownPeer",
                "handshakeFailed",
                "replayedTimestamp",
                "initiationFlood",
                "unknownIndex",
                "unexpectedResponse",
                "invalidCookie",
                "dataDecryptionFailed",
                "replayedCounter",
                "keypairExpired",
                "noRoute",
                "sourceNotAllowed",
                "malformedPacket",
                "handshakeQueueFull",
                "rateLimited")) {
            all.put(reason, some.getOrDefault(reason, 0L));
        }
        return all;
    }

    private static EnforcementStatus enforcement() {
        Map<String, Long> counters = new LinkedHashMap<>();
        counters.put("unconfigured", 0L);
        counters.put("otherNetns", 0L);
        counters.put("external", 5210L);
        counters.put("allowInternal", 388L);
        counters.put("denyNoApp", 7L);
        counters.put("denyNoGrant", 2L);
        counters.put("denyNoPolicy", 0L);
        counters.put("eventsLost", 0L);
        counters.put("tunnelPass", 391L);
        counters.put("denyForwarded", 0L);
        counters.put("denyMalformed", 0L);
        counters.put("inboundPass", 377L);
        counters.put("denyListening", 1L);
        counters.put("eventsSuppressed", 0L);
        counters.put("denyForeignExec", 0L);
        return new EnforcementStatus(
                EnforcementStatus.ACTIVE,
                4026531840L,
                "/sys/fs/cgroup",
                "/sys/fs/bpf/wg-pr",
                List.of(
                        new EnforcementStatus.Program("connect4", "wgpr_connect4", 31, true),
                        new EnforcementStatus.Program("sendmsg4", "wgpr_sendmsg4", 32, true),
                        new EnforcementStatus.Program("inbound", "wgpr_inbound", null, false)),
                3L,
                1,
                List.of("10.20.0.0/16"),
                List.of(),
                Map.of(
                        "ssh",
                        new EnforcementStatus.App(
                                1,
                                "/sys/fs/cgroup/wg-pr.slice/wg-pr/ssh",
                                List.of("10.20.0.0/16 tcp/22"),
                                List.of("254:1/1835011"))),
                counters,
                null,
                10L,
                0L,
                Map.of(),
                new EnforcementStatus.BorrowGuard(true, 44, 2L, 0L, null));
    }
}
