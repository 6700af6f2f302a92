package dev.wgpr.client.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.dns.DnsCounters;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ControlJsonTest {
    private static final DaemonStatus STATUS = new DaemonStatus(
            DaemonStatus.SCHEMA,
            "wg-pr",
            new DaemonStatus.Daemon(
                    4242,
                    "2026-12-05T21:00:00Z",
                    "wg-pr",
                    7,
                    List.of("found stale route unreachable 10.20.0.0/16 (kept until a tunnel replaces it)"),
                    List.of("unreachable 10.20.0.0/16"),
                    new LockdownStatus(
                            "locked down",
                            3L,
                            true,
                            true,
                            new LockdownStatus.Capabilities(
                                    List.of("cap_net_admin"),
                                    List.of("cap_net_admin"),
                                    List.of(),
                                    List.of(),
                                    List.of()),
                            new LockdownStatus.Landlock(
                                    6L, "enforced", List.of("read_file"), "denied", "scoped", List.of("/etc: read")),
                            Map.of("core", "0/0"),
                            false,
                            "pid 99"),
                    new ControlStatus(Map.of("0", 1), 0, new ControlStatus.Limits(32, 256, 64), 1, 2, 3, 4, 5),
                    Map.of("OutOfMemoryError", 1L)),
            List.of(new TunnelStatus(
                    "corp0",
                    "/etc/wg-pr/corp.toml",
                    true,
                    "auto",
                    List.of("10.8.0.2/32"),
                    List.of(TunnelStatus.Peer.configured(
                                    "gw", "AAAA", "vpn.example.com:51820", "192.0.2.1:51820", List.of("10.20.0.0/16"))
                            .with(new TunnelStatus.Traffic("AAAA", "192.0.2.1:51820", null, 10, 20, 25))),
                    new TunnelStatus.Device(
                            "userspace", 51820, "/var/run/wireguard/corp0.sock", Map.of("short", 1L), Map.of(), null),
                    Protocol.BACKSTOP_IN_FORCE,
                    new TunnelStatus.Routing(
                            List.of("AddRoute[route=10.20.0.0/16 dev corp0]"),
                            List.of(new TunnelStatus.Bypass("192.0.2.1", null, "on the local network")),
                            List.of()),
                    List.of(new TunnelStatus.App(
                            "ssh", "gw", "/usr/bin/ssh", null, List.of("10.20.0.0/16 tcp/22"), "/sys/fs/cgroup/x")),
                    new TunnelStatus.Dns(
                            List.of("10.20.0.53"),
                            List.of("corp.example"),
                            "apps",
                            List.of("10.8.0.2"),
                            "127.77.9.1",
                            true,
                            "systemd-resolved: asks 10.8.0.2 for ~corp.example",
                            new DnsCounters(5, 1, 4, 0, 0)))),
            new EnforcementStatus(
                    EnforcementStatus.ACTIVE,
                    7L,
                    "/sys/fs/cgroup",
                    "/sys/fs/bpf/wg-pr",
                    List.of(new EnforcementStatus.Program("connect4", "wgpr_connect4", 12, true)),
                    3L,
                    1,
                    List.of("10.20.0.0/16"),
                    List.of(),
                    Map.of(
                            "ssh",
                            new EnforcementStatus.App(
                                    1, "/sys/fs/cgroup/x", List.of("10.20.0.0/16 tcp/22"), List.of("254:0/1234"))),
                    Map.of("denyNoApp", 2L),
                    null,
                    9L,
                    0L,
                    Map.of(),
                    new EnforcementStatus.BorrowGuard(true, 44, 4L, 0L, null)),
            List.of(new DaemonStatus.RunningApp(77, "ssh", "corp0", 1000)));

    @Test
    void everyRequestSurvivesTheSocketAsItWasSent() {
        for (Request request : List.of(
                new Request.Ping(),
                new Request.Status(),
                new Request.Up("/etc/wg-pr/corp.toml"),
                new Request.Down("corp0"),
                new Request.Reload("/etc/wg-pr/corp.toml"),
                new Request.Run("ssh", null, List.of("ssh", "db1"), "/home/u", Map.of("TERM", "xterm")),
                new Request.Signal(15),
                new Request.Events(true))) {
            String line = ControlJson.write(request);

            assertEquals(request, ControlJson.readRequest(line), line);
            assertTrue(line.startsWith("{\"v\":1,\"op\":\"" + request.op() + "\""), line);
        }
    }

    @Test
    void everyAnswerSurvivesTheSocketAsItWasSent() {
        for (Reply reply : List.of(
                new Reply.Pong(4242, "wg-pr"),
                new Reply.Upped("corp0"),
                new Reply.Downed(),
                new Reply.Reloaded("corp0", List.of("peer gw: allowed IPs changed")),
                new Reply.Started(77),
                new Reply.Events(List.of(denied()), 1, 2),
                STATUS)) {
            String line = ControlJson.write(reply);

            assertEquals(reply, ControlJson.readReply(line, reply.getClass()), line);
            assertTrue(line.startsWith("{\"v\":1,\"ok\":true"), line);
        }
    }

    @Test
    void anErrorIsReadAsAnErrorWhateverAnswerWasExpected() {
        Reply.Error refused = new Reply.Error(Protocol.REFUSED, "not the app's exec", 126);

        String line = ControlJson.write(refused);

        assertEquals(refused, ControlJson.readReply(line, Reply.Started.class));
        assertTrue(line.startsWith("{\"v\":1,\"ok\":false,\"error\":\"refused\""), line);
    }

    @Test
    void theMessagesAfterAnAnswerAreReadByTheirEvent() {
        for (Reply event : List.of(new Reply.Exit(3, null), new Reply.Exit(null, 9), denied())) {
            assertEquals(event, ControlJson.readEvent(ControlJson.write(event)));
        }
        assertEquals(137, new Reply.Exit(null, 9).exitStatus());
    }

    @Test
    void theStatusTreeIsCamelCaseJsonWithItsSchemaVersion() {
        Map<String, Object> json = Json.parseObject(Json.write(STATUS));

        assertEquals((long) DaemonStatus.SCHEMA, json.get("schemaVersion"));
        assertEquals(
                List.of("schemaVersion", "instance", "daemon", "tunnels", "enforcement", "running"),
                List.copyOf(json.keySet()));
        Map<?, ?> tunnel = (Map<?, ?>) ((List<?>) json.get("tunnels")).getFirst();
        Map<?, ?> peer = (Map<?, ?>) ((List<?>) tunnel.get("peers")).getFirst();
        assertEquals(10L, peer.get("rxBytes"));
        assertEquals(List.of("10.20.0.0/16"), peer.get("allowedIPs"));
        assertTrue(json.keySet().stream().allMatch(key -> key.matches("[a-z][A-Za-z]*")), json::toString);
    }

    @Test
    void aMalformedRequestIsRefusedWithAReasonInOneLine() {
        Map<String, String> reasons = Map.of(
                "not json", "",
                "[1]", "expected a JSON object",
                "{\"v\":2,\"op\":\"ping\"}", "protocol version 2 is not 1",
                "{\"v\":1}", "no \"op\"",
                "{\"v\":1,\"op\":\"reboot\"}", "unknown operation reboot",
                "{\"v\":1,\"op\":\"up\"}", "up needs \"config\": an absolute path",
                "{\"v\":1,\"op\":\"up\",\"config\":\"corp.toml\"}", "up needs \"config\": an absolute path",
                "{\"v\":1,\"op\":\"down\"}", "down needs \"tunnel\"",
                "{\"v\":1,\"op\":\"run\",\"app\":\"ssh\",\"argv\":[\"ssh\"]}", "run needs app, argv, cwd and env");
        reasons.forEach((line, reason) -> {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> ControlJson.readRequest(line), line);
            assertTrue(e.getMessage().contains(reason), line + ": " + e.getMessage());
            assertFalse(e.getMessage().contains("\n") || e.getMessage().contains("Exception"), e.getMessage());
        });
        assertInstanceOf(
                ControlJson.OtherVersionException.class,
                assertThrows(IllegalArgumentException.class, () -> ControlJson.readRequest("{\"op\":\"ping\"}")));
    }

    private static DeniedAttempt denied() {
        return new DeniedAttempt(
                5,
                "2026-12-05T21:00:00Z",
                4242,
                "curl",
                1000,
                null,
                "corp0/gw",
                DeniedAttempt.OUTBOUND,
                "10.20.0.10",
                22,
                "tcp",
                null,
                null,
                null,
                null,
                "connect4",
                "not an app",
                "not-an-app",
                99,
                null,
                null);
    }
}
