package dev.wgpr.client.config;

import static dev.wgpr.client.config.ConfigErrorsTest.onlyErrorOfApp;
import static dev.wgpr.client.config.ConfigTesting.assertProblem;
import static dev.wgpr.client.config.ConfigTesting.onlyError;
import static dev.wgpr.client.config.ConfigTesting.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.config.ConfigProblem.Reason;
import dev.wgpr.enforcement.Incoming;
import dev.wgpr.enforcement.policy.Listen;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code listen} per app and {@code incoming} per tunnel (issue 22): read, and refused where the file says. */
class IncomingConfigTest {
    private static final String TUNNEL = """
            [interface]
            privateKey = "@OUR_PRIVATE_KEY@"
            address = ["10.8.0.2/32"]
            %s

            [[peer]]
            publicKey = "@PEER_KEY@"
            allowedIPs = ["10.20.0.0/16"]

            [[peer.allowedApps]]
            name = "web"
            %s
            """;

    @Test
    void withoutThemIncomingIsAppsAndAnAppListensOnNothing() throws Exception {
        TunnelConfig config = parse(TUNNEL.formatted("", "")).config();
        assertEquals(Incoming.APPS, config.iface().incoming());
        assertEquals(
                List.of(), config.peers().getFirst().allowedApps().getFirst().listen());
    }

    @Test
    void eachIncomingSettingIsReadAsWritten() throws Exception {
        for (Incoming incoming : Incoming.values()) {
            TunnelConfig config = parse(TUNNEL.formatted("incoming = \"" + incoming.text() + "\"", ""))
                    .config();
            assertEquals(incoming, config.iface().incoming());
        }
    }

    @Test
    void listenHoldsTcpAndUdpPortsAndRanges() throws Exception {
        TunnelConfig config = parse(TUNNEL.formatted("", "listen = [\"tcp/8080\", \"udp/5060-5070\"]"))
                .config();
        assertEquals(
                List.of(Listen.parse("tcp/8080"), Listen.parse("udp/5060-5070")),
                config.peers().getFirst().allowedApps().getFirst().listen());
    }

    @Test
    void unknownIncomingIsRefusedAtItsValueNamingTheChoices() {
        ConfigProblem problem = onlyError(TUNNEL.formatted("incoming = \"some\"", ""));
        assertProblem(problem, Reason.BAD_INCOMING, 4, 12, "interface.incoming");
        assertTrue(problem.message().contains("\"apps\""), problem.message());
    }

    @Test
    void aListenItemWithoutPortsOrOfAnotherProtocolIsABadListen() {
        ConfigProblem noPort = onlyErrorOfApp("""
                name = "web"
                listen = ["tcp/8080", "tcp"]
                """);
        assertProblem(noPort, Reason.BAD_LISTEN, 11, 23, "peer[0].allowedApps[0].listen[1]");
        ConfigProblem icmp = onlyErrorOfApp("""
                name = "web"
                listen = ["icmp/1"]
                """);
        assertProblem(icmp, Reason.BAD_LISTEN, 11, 11, "peer[0].allowedApps[0].listen[0]");
        assertTrue(icmp.message().contains("unknown protocol 'icmp'"), icmp.message());
    }

    @Test
    void aListenPortOutsideOneTo65535OrAReversedRangeIsABadPortRange() {
        ConfigProblem zero = onlyErrorOfApp("""
                name = "web"
                listen = ["udp/0"]
                """);
        assertProblem(zero, Reason.BAD_PORT_RANGE, 11, 11, "peer[0].allowedApps[0].listen[0]");
        ConfigProblem reversed = onlyErrorOfApp("""
                name = "web"
                listen = ["udp/5070-5060"]
                """);
        assertProblem(reversed, Reason.BAD_PORT_RANGE, 11, 11, "peer[0].allowedApps[0].listen[0]");
    }

    @Test
    void listenThatIsNotAListIsAWrongType() {
        ConfigProblem problem = onlyErrorOfApp("""
                name = "web"
                listen = "tcp/8080"
                """);
        assertProblem(problem, Reason.WRONG_TYPE, 11, 10, "peer[0].allowedApps[0].listen");
    }
}
