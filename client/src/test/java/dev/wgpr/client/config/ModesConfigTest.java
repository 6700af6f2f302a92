package dev.wgpr.client.config;

import static dev.wgpr.client.config.ConfigTesting.assertProblem;
import static dev.wgpr.client.config.ConfigTesting.onlyError;
import static dev.wgpr.client.config.ConfigTesting.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.config.ConfigProblem.Reason;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@code others} and {@code [[interface.excludedApps]]} (issue 18): read, refused and warned as the file says. */
class ModesConfigTest {
    @Test
    void othersIsDenyUnlessTheConfigSaysBypass() throws Exception {
        TunnelConfig unset = parse("""
                [interface]
                privateKey = "@OUR_PRIVATE_KEY@"
                address = ["10.8.0.2/32"]

                [[peer]]
                publicKey = "@PEER_KEY@"
                allowedIPs = ["10.20.0.0/16"]
                """).config();
        assertEquals(OthersSetting.DENY, unset.iface().others());
        assertEquals(List.of(), unset.iface().excludedApps());
        for (OthersSetting others : OthersSetting.values()) {
            TunnelConfig config = parse("""
                    [interface]
                    privateKey = "@OUR_PRIVATE_KEY@"
                    address = ["10.8.0.2/32"]
                    others = "%s"

                    [[peer]]
                    publicKey = "@PEER_KEY@"
                    allowedIPs = ["10.20.0.0/16"]
                    """.formatted(others.text())).config();
            assertEquals(others, config.iface().others());
        }
    }

    @Test
    void excludedAppsAreReadWithNameExecAndDigest() throws Exception {
        String digest = "ab".repeat(32);
        TunnelConfig config = parse("""
                [interface]
                privateKey = "@OUR_PRIVATE_KEY@"
                address = ["10.8.0.2/32"]

                [[interface.excludedApps]]
                name = "torrent"
                exec = "/bin/sh"
                sha256 = "%s"

                [[interface.excludedApps]]
                name = "game"

                [[peer]]
                publicKey = "@PEER_KEY@"
                allowedIPs = ["10.20.0.0/16"]
                """.formatted(digest.toUpperCase())).config();
        assertEquals(
                List.of(
                        new ExcludedAppConfig("torrent", Optional.of(Path.of("/bin/sh")), Optional.of(digest)),
                        new ExcludedAppConfig("game", Optional.empty(), Optional.empty())),
                config.iface().excludedApps());
    }

    @Test
    void unknownOthersIsRefusedAtItsValueNamingTheChoices() {
        ConfigProblem problem = onlyError("""
                [interface]
                privateKey = "@OUR_PRIVATE_KEY@"
                address = ["10.8.0.2/32"]
                others = "allow"

                [[peer]]
                publicKey = "@PEER_KEY@"
                allowedIPs = ["10.20.0.0/16"]
                """);
        assertProblem(problem, Reason.BAD_OTHERS, 4, 10, "interface.others");
        assertTrue(problem.message().contains("expected one of deny, bypass"), problem.message());
    }

    @Test
    void anExcludedAppMayNotShareItsNameWithAnAllowedApp() {
        ConfigProblem problem = onlyError("""
                [interface]
                privateKey = "@OUR_PRIVATE_KEY@"
                address = ["10.8.0.2/32"]

                [[interface.excludedApps]]
                name = "ssh"

                [[peer]]
                publicKey = "@PEER_KEY@"
                allowedIPs = ["10.20.0.0/16"]

                [[peer.allowedApps]]
                name = "ssh"
                """);
        assertProblem(problem, Reason.DUPLICATE_APP_NAME, 13, 8, "peer[0].allowedApps[0].name");
        assertTrue(problem.message().contains("interface.excludedApps[0].name"), problem.message());
    }

    @Test
    void anExcludedAppTakesNoGrants() {
        ConfigProblem problem = onlyError("""
                [interface]
                privateKey = "@OUR_PRIVATE_KEY@"
                address = ["10.8.0.2/32"]

                [[interface.excludedApps]]
                name = "torrent"
                allow = ["10.20.0.0/16"]

                [[peer]]
                publicKey = "@PEER_KEY@"
                allowedIPs = ["10.20.0.0/16"]
                """);
        assertProblem(problem, Reason.UNKNOWN_KEY, 7, 1, "interface.excludedApps[0].allow");
    }

    @Test
    void anExcludedAppWithoutANameIsRefused() {
        ConfigProblem problem = onlyError("""
                [interface]
                privateKey = "@OUR_PRIVATE_KEY@"
                address = ["10.8.0.2/32"]

                [[interface.excludedApps]]
                exec = "/bin/sh"

                [[peer]]
                publicKey = "@PEER_KEY@"
                allowedIPs = ["10.20.0.0/16"]
                """);
        assertEquals(Reason.MISSING_REQUIRED_KEY, problem.reason(), problem.toString());
        assertTrue(problem.field().startsWith("interface.excludedApps[0]"), problem.toString());
    }

    @Test
    void aFullTunnelThatDeniesByDefaultIsWarnedAtEachDefaultRoute() throws Exception {
        List<ConfigProblem> warnings = parse("""
                [interface]
                privateKey = "@OUR_PRIVATE_KEY@"
                address = ["10.8.0.2/32"]

                [[peer]]
                publicKey = "@PEER_KEY@"
                allowedIPs = ["0.0.0.0/0", "::/0"]
                """).warnings();
        assertEquals(2, warnings.size(), warnings::toString);
        assertProblem(warnings.get(0), Reason.DENY_FULL_TUNNEL, 7, 15, "peer[0].allowedIPs[0]");
        assertProblem(warnings.get(1), Reason.DENY_FULL_TUNNEL, 7, 28, "peer[0].allowedIPs[1]");
        assertTrue(
                warnings.get(0)
                        .message()
                        .startsWith("denied 0.0.0.0/0: every process that is no app loses the"
                                + " Internet while this tunnel is up"),
                warnings.get(0).message());
    }

    @Test
    void aFullTunnelWithItsModeWrittenOutIsNotWarned() throws Exception {
        for (String others : List.of("deny", "bypass")) {
            List<ConfigProblem> warnings = parse("""
                    [interface]
                    privateKey = "@OUR_PRIVATE_KEY@"
                    address = ["10.8.0.2/32"]
                    others = "%s"

                    [[peer]]
                    publicKey = "@PEER_KEY@"
                    allowedIPs = ["0.0.0.0/0", "::/0"]
                    """.formatted(others)).warnings();
            assertEquals(List.of(), warnings, others);
        }
    }
}
