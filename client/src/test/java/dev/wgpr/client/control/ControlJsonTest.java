package dev.wgpr.client.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ControlJsonTest {
    @Test
    void everyRequestSurvivesTheSocketAsItWasSent() {
        for (Request request : List.of(
                new Request.Ping(),
                new Request.Status(),
                new Request.Up("/etc/wg-pr/corp.toml"),
                new Request.Down("corp0"),
                new Request.Reload("/etc/wg-pr/corp.toml"),
                new Request.Run("ssh", null, List.of("ssh", "db1"), "/home/u", Map.of("TERM", "xterm")),
                new Request.Run("ssh", "corp0", List.of("/usr/bin/ssh"), "/home/u", Map.of(), true),
                new Request.Signal(15),
                new Request.Events(true),
                new Request.Names(List.of("10.20.0.10", "fd10:20::10")))) {
            String line = ControlJson.write(request);

            assertEquals(request, ControlJson.readRequest(line), line);
            assertTrue(line.startsWith("{\"v\":1,\"op\":\"" + request.op() + "\""), line);
        }
    }

    @Test
    void namesAsksOnlyOfIpAddressesAndOfAFewAtOnce() {
        for (String line : List.of(
                "{\"v\":1,\"op\":\"names\",\"addresses\":[\"db1.corp.example\"]}",
                "{\"v\":1,\"op\":\"names\"}",
                ControlJson.write(new Request.Names(List.of()))
                        .replace("[]", "[" + "\"10.0.0.1\",".repeat(Request.Names.MAX_NAMED) + "\"10.0.0.2\"]"))) {
            assertThrows(IllegalArgumentException.class, () -> ControlJson.readRequest(line), line);
        }
    }

    @Test
    void aRunWithoutDetachedIsTheSessionOfWgPrRunAndTheTraysIsDetached() {
        Request.Run session = (Request.Run) ControlJson.readRequest(
                "{\"v\":1,\"op\":\"run\",\"app\":\"ssh\",\"tunnel\":null,\"argv\":[\"ssh\"],\"cwd\":\"/\",\"env\":{}}");
        Request.Run tray = (Request.Run) ControlJson.readRequest(
                ControlJson.write(new Request.Run("ssh", null, List.of("ssh"), "/", Map.of(), true)));

        assertFalse(session.detach());
        assertTrue(tray.detach());
        assertTrue(ControlJson.write(tray).contains("\"detached\":true"), ControlJson.write(tray));
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
                new Reply.Names(Map.of("10.20.0.10", "db1.corp.example.")))) {
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
