package dev.wgpr.client.config;

import static dev.wgpr.client.config.ConfigTesting.assertProblem;
import static dev.wgpr.client.config.ConfigTesting.errors;
import static dev.wgpr.client.config.ConfigTesting.onlyError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.config.ConfigProblem.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One test per {@link Reason}: each mistake is reported with its reason, line, column and field. */
class ConfigErrorsTest {
    @Test
    void tomlSyntaxErrorIsReportedAloneWithItsPosition() {
        ConfigProblem problem = onlyError("""
                [interface]
                privateKey = "@OUR_PRIVATE_KEY@"
                mtu = 1420 1420
                """);
        assertProblem(problem, Reason.TOML_SYNTAX, 3, 12, "");
        assertEquals("corp.toml:3:12: " + problem.message(), problem.toString());
    }

    @Test
    void unknownKeyIsRejectedWithTheClosestKnownKeySuggested() {
        ConfigProblem problem = onlyError("""
                [interface]
                privateKey = "@OUR_PRIVATE_KEY@"
                address = ["10.8.0.2/32"]

                [[peer]]
                publicKey = "@PEER_KEY@"
                allowedIPs = ["10.20.0.0/16"]
                AllowedIPs = ["10.20.0.0/16"]
                """);
        assertProblem(problem, Reason.UNKNOWN_KEY, 8, 1, "peer[0].AllowedIPs");
        assertTrue(problem.message().contains("did you mean 'allowedIPs'?"), problem.message());
    }

    @Test
    void unknownKeyWithNoLikelyMeaningListsTheKnownKeys() {
        ConfigProblem problem = onlyError("""
                [interface]
                privateKey = "@OUR_PRIVATE_KEY@"
                address = ["10.8.0.2/32"]
                table = "off"

                [[peer]]
                publicKey = "@PEER_KEY@"
                allowedIPs = ["10.20.0.0/16"]
                """);
        assertProblem(problem, Reason.UNKNOWN_KEY, 4, 1, "interface.table");
        assertTrue(problem.message().contains("expected one of name, privateKey"), problem.message());
    }

    @Test
    void missingPublicKeyIsReportedAtThePeerHeader() {
        ConfigProblem problem = onlyError("""
                [interface]
                privateKey = "@OUR_PRIVATE_KEY@"
                address = ["10.8.0.2/32"]

                [[peer]]
                allowedIPs = ["10.20.0.0/16"]
                """);
        assertProblem(problem, Reason.MISSING_REQUIRED_KEY, 5, 1, "peer[0].publicKey");
    }

    @Test
    void valueOfTheWrongTypeIsRejectedAtTheValue() {
        ConfigProblem problem = onlyError("""
                [interface]
                privateKey = "@OUR_PRIVATE_KEY@"
                address = ["10.8.0.2/32"]
                mtu = "1420"

                [[peer]]
                publicKey = "@PEER_KEY@"
                allowedIPs = ["10.20.0.0/16"]
                """);
        assertProblem(problem, Reason.WRONG_TYPE, 4, 7, "interface.mtu");
        assertEquals("mtu must be an integer, not a string", problem.message());
    }

    @Test
    void singlePeerTableInsteadOfAnArrayOfTablesIsAWrongType() {
        List<ConfigProblem> problems = errors("""
                [interface]
                privateKey = "@OUR_PRIVATE_KEY@"
                address = ["10.8.0.2/32"]

                [peer]
                publicKey = "@PEER_KEY@"
                allowedIPs = ["10.20.0.0/16"]
                """);
        assertEquals(1, problems.size(), problems::toString);
        assertProblem(problems.getFirst(), Reason.WRONG_TYPE, 5, 1, "peer");
        assertTrue(problems.getFirst().message().contains("write [[peer]]"));
    }

    @Test
    void truncatedKeyIsRejectedWithoutEchoingIt() {
        ConfigProblem problem = onlyError("""
                [interface]
                privateKey = "wI7M4flROZFaV3d9lSkM6fkGQm3mcQm8nB0Ivxb9yl="
                address = ["10.8.0.2/32"]

                [[peer]]
                publicKey = "@PEER_KEY@"
                allowedIPs = ["10.20.0.0/16"]
                """);
        assertProblem(problem, Reason.BAD_KEY, 2, 14, "interface.privateKey");
        assertFalse(problem.message().contains("wI7M4flROZ"), "an error must not leak the private key");
    }

    @Test
    void allZeroKeyIsRejected() {
        ConfigProblem problem = onlyError("""
                [interface]
                privateKey = "@OUR_PRIVATE_KEY@"
                address = ["10.8.0.2/32"]

                [[peer]]
                publicKey = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
                allowedIPs = ["10.20.0.0/16"]
                """);
        assertProblem(problem, Reason.BAD_KEY, 6, 13, "peer[0].publicKey");
    }

    @Test
    void privateKeyAndPrivateKeyFileTogetherConflict() {
        ConfigProblem problem = onlyError("""
                [interface]
                privateKeyFile = "/etc/wg-pr/corp.key"
                privateKey = "@OUR_PRIVATE_KEY@"
                address = ["10.8.0.2/32"]

                [[peer]]
                publicKey = "@PEER_KEY@"
                allowedIPs = ["10.20.0.0/16"]
                """);
        assertProblem(problem, Reason.CONFLICTING_KEYS, 2, 1, "interface.privateKeyFile");
    }

    @Test
    void missingKeyFileIsUnreadable(@TempDir Path directory) throws IOException {
        Path config = Files.writeString(directory.resolve("corp.toml"), ConfigTesting.withKeys("""
                [interface]
                privateKeyFile = "absent.key"
                address = ["10.8.0.2/32"]

                [[peer]]
                publicKey = "@PEER_KEY@"
                allowedIPs = ["10.20.0.0/16"]
                """));
        List<ConfigProblem> problems = assertThrows(BadConfigException.class, () -> TunnelConfig.load(config))
                .problems();
        assertEquals(1, problems.size(), problems::toString);
        assertProblem(problems.getFirst(), Reason.UNREADABLE_KEY_FILE, 2, 18, "interface.privateKeyFile");
        assertTrue(
                problems.getFirst()
                        .message()
                        .contains(directory.resolve("absent.key").toString()),
                "relative to the config's directory: " + problems.getFirst().message());
    }

    @Test
    void interfaceAddressThatIsNoAddressIsRejected() {
        ConfigProblem problem = onlyError("""
                [interface]
                privateKey = "@OUR_PRIVATE_KEY@"
                address = ["10.8.0.2/24", "10.8.0.300/32"]

                [[peer]]
                publicKey = "@PEER_KEY@"
                allowedIPs = ["10.20.0.0/16"]
                """);
        assertProblem(problem, Reason.BAD_ADDRESS, 3, 27, "interface.address[1]");
    }

    @Test
    void allowedIpsPrefixLongerThanTheAddressIsABadPrefix() {
        ConfigProblem problem = onlyError("""
                [interface]
                privateKey = "@OUR_PRIVATE_KEY@"
                address = ["10.8.0.2/32"]

                [[peer]]
                publicKey = "@PEER_KEY@"
                allowedIPs = ["10.20.0.0/33"]
                """);
        assertProblem(problem, Reason.BAD_PREFIX, 7, 15, "peer[0].allowedIPs[0]");
    }

    @Test
    void hostBitsInAllowedIpsAreRejectedShowingTheNormalizedPrefix() {
        ConfigProblem problem = onlyError("""
                [interface]
                privateKey = "@OUR_PRIVATE_KEY@"
                address = ["10.8.0.2/32"]

                [[peer]]
                publicKey = "@PEER_KEY@"
                allowedIPs = ["10.20.0.0/16", "fd10:20::1/32"]
                """);
        assertProblem(problem, Reason.HOST_BITS_SET, 7, 31, "peer[0].allowedIPs[1]");
        assertEquals("host bits set in fd10:20::1/32; the prefix is fd10:20::/32", problem.message());
    }

    @Test
    void unbracketedIpv6EndpointIsABadEndpoint() {
        ConfigProblem problem = onlyError("""
                [interface]
                privateKey = "@OUR_PRIVATE_KEY@"
                address = ["10.8.0.2/32"]

                [[peer]]
                publicKey = "@PEER_KEY@"
                endpoint = "2001:db8::1:51820"
                allowedIPs = ["10.20.0.0/16"]
                """);
        assertProblem(problem, Reason.BAD_ENDPOINT, 7, 12, "peer[0].endpoint");
        assertTrue(problem.message().contains("[2001:db8::1]:51820"), problem.message());
    }

    @Test
    void endpointPortAbove65535IsABadPort() {
        ConfigProblem problem = onlyError("""
                [interface]
                privateKey = "@OUR_PRIVATE_KEY@"
                address = ["10.8.0.2/32"]

                [[peer]]
                publicKey = "@PEER_KEY@"
                endpoint = "[2001:db8::1]:65536"
                allowedIPs = ["10.20.0.0/16"]
                """);
        assertProblem(problem, Reason.BAD_PORT, 7, 12, "peer[0].endpoint");
    }

    @Test
    void listenPortZeroIsABadPort() {
        ConfigProblem problem = onlyError("""
                [interface]
                privateKey = "@OUR_PRIVATE_KEY@"
                address = ["10.8.0.2/32"]
                listenPort = 0

                [[peer]]
                publicKey = "@PEER_KEY@"
                allowedIPs = ["10.20.0.0/16"]
                """);
        assertProblem(problem, Reason.BAD_PORT, 4, 14, "interface.listenPort");
    }

    @Test
    void negativeKeepaliveIsRejected() {
        ConfigProblem problem = onlyError("""
                [interface]
                privateKey = "@OUR_PRIVATE_KEY@"
                address = ["10.8.0.2/32"]

                [[peer]]
                publicKey = "@PEER_KEY@"
                allowedIPs = ["10.20.0.0/16"]
                persistentKeepalive = -1
                """);
        assertProblem(problem, Reason.BAD_KEEPALIVE, 8, 23, "peer[0].persistentKeepalive");
    }

    @Test
    void mtuBelowTheIpv6MinimumIsOutOfRange() {
        ConfigProblem problem = onlyError("""
                [interface]
                privateKey = "@OUR_PRIVATE_KEY@"
                address = ["10.8.0.2/32"]
                mtu = 1279

                [[peer]]
                publicKey = "@PEER_KEY@"
                allowedIPs = ["10.20.0.0/16"]
                """);
        assertProblem(problem, Reason.MTU_OUT_OF_RANGE, 4, 7, "interface.mtu");
    }

    @Test
    void interfaceNameLongerThan15IsRejected() {
        ConfigProblem problem = onlyError("""
                [interface]
                name = "corp-vpn-tunnel0"
                privateKey = "@OUR_PRIVATE_KEY@"
                address = ["10.8.0.2/32"]

                [[peer]]
                publicKey = "@PEER_KEY@"
                allowedIPs = ["10.20.0.0/16"]
                """);
        assertProblem(problem, Reason.BAD_INTERFACE_NAME, 2, 8, "interface.name");
    }

    @Test
    void fileNameThatMakesNoInterfaceNameIsRejectedAtTheInterfaceHeader() {
        BadConfigException e =
                assertThrows(BadConfigException.class, () -> ConfigTesting.parse("""
                        [interface]
                        privateKey = "@OUR_PRIVATE_KEY@"
                        address = ["10.8.0.2/32"]

                        [[peer]]
                        publicKey = "@PEER_KEY@"
                        allowedIPs = ["10.20.0.0/16"]
                        """, Path.of("my corp vpn.toml")));
        assertEquals(1, e.problems().size(), e::getMessage);
        assertProblem(e.problems().getFirst(), Reason.BAD_INTERFACE_NAME, 1, 1, "interface.name");
    }

    @Test
    void unknownRouteModeIsRejected() {
        ConfigProblem problem = onlyError("""
                [interface]
                privateKey = "@OUR_PRIVATE_KEY@"
                address = ["10.8.0.2/32"]
                routeMode = "full-tunnel"

                [[peer]]
                publicKey = "@PEER_KEY@"
                allowedIPs = ["10.20.0.0/16"]
                """);
        assertProblem(problem, Reason.BAD_ROUTE_MODE, 4, 13, "interface.routeMode");
    }

    @Test
    void unknownBackendIsRejected() {
        ConfigProblem problem = onlyError("""
                [interface]
                privateKey = "@OUR_PRIVATE_KEY@"
                address = ["10.8.0.2/32"]
                backend = "wireguard-go"

                [[peer]]
                publicKey = "@PEER_KEY@"
                allowedIPs = ["10.20.0.0/16"]
                """);
        assertProblem(problem, Reason.BAD_BACKEND, 4, 11, "interface.backend");
        assertTrue(problem.message().contains("expected one of auto, kernel, userspace"), problem.message());
    }

    @Test
    void backendThatIsNotAStringIsRejected() {
        ConfigProblem problem = onlyError("""
                [interface]
                privateKey = "@OUR_PRIVATE_KEY@"
                address = ["10.8.0.2/32"]
                backend = 1

                [[peer]]
                publicKey = "@PEER_KEY@"
                allowedIPs = ["10.20.0.0/16"]
                """);
        assertProblem(problem, Reason.WRONG_TYPE, 4, 11, "interface.backend");
    }

    @Test
    void diSemiDefaultWithoutAnyDefaultRouteInAllowedIpsIsRejected() {
        ConfigProblem problem = onlyError("""
                [interface]
                privateKey = "@OUR_PRIVATE_KEY@"
                address = ["10.8.0.2/32"]
                routeMode = "di-semi-default"

                [[peer]]
                publicKey = "@PEER_KEY@"
                allowedIPs = ["10.20.0.0/16"]
                """);
        assertProblem(problem, Reason.BAD_ROUTE_MODE, 4, 1, "interface.routeMode");
    }

    @Test
    void blankPeerNameIsRejected() {
        ConfigProblem problem = onlyError("""
                [interface]
                privateKey = "@OUR_PRIVATE_KEY@"
                address = ["10.8.0.2/32"]

                [[peer]]
                name = "  "
                publicKey = "@PEER_KEY@"
                allowedIPs = ["10.20.0.0/16"]
                """);
        assertProblem(problem, Reason.BAD_PEER_NAME, 6, 8, "peer[0].name");
    }

    @Test
    void appNameThatCannotBeACgroupDirectoryIsRejected() {
        List<ConfigProblem> problems = errors("""
                [interface]
                privateKey = "@OUR_PRIVATE_KEY@"
                address = ["10.8.0.2/32"]

                [[peer]]
                publicKey = "@PEER_KEY@"
                allowedIPs = ["10.20.0.0/16"]
                allowedApps = [{ name = ".." }, { name = "Firefox" }, { name = "a/b" }, { name = "ok" }]
                """);
        assertEquals(3, problems.size(), problems::toString);
        assertProblem(problems.get(0), Reason.BAD_APP_NAME, 8, 25, "peer[0].allowedApps[0].name");
        assertProblem(problems.get(1), Reason.BAD_APP_NAME, 8, 42, "peer[0].allowedApps[1].name");
        assertProblem(problems.get(2), Reason.BAD_APP_NAME, 8, 64, "peer[0].allowedApps[2].name");
    }

    @Test
    void sameAppNameUnderTwoPeersIsADuplicate() {
        ConfigProblem problem = onlyError("""
                [interface]
                privateKey = "@OUR_PRIVATE_KEY@"
                address = ["10.8.0.2/32"]

                [[peer]]
                publicKey = "@PEER_KEY@"
                allowedIPs = ["10.20.0.0/16"]
                allowedApps = [{ name = "ssh" }]

                [[peer]]
                publicKey = "@OTHER_PEER_KEY@"
                allowedIPs = ["10.40.0.0/16"]
                allowedApps = [{ name = "ssh" }]
                """);
        assertProblem(problem, Reason.DUPLICATE_APP_NAME, 13, 25, "peer[1].allowedApps[0].name");
        assertTrue(problem.message().contains("peer[0].allowedApps[0].name"), problem.message());
    }

    @Test
    void twoPeersWithOnePublicKeyAreADuplicate() {
        ConfigProblem problem = onlyError("""
                [interface]
                privateKey = "@OUR_PRIVATE_KEY@"
                address = ["10.8.0.2/32"]

                [[peer]]
                publicKey = "@PEER_KEY@"
                allowedIPs = ["10.20.0.0/16"]

                [[peer]]
                publicKey = "@PEER_KEY@"
                allowedIPs = ["10.40.0.0/16"]
                """);
        assertProblem(problem, Reason.DUPLICATE_PEER_KEY, 10, 13, "peer[1].publicKey");
    }

    @Test
    void aDnsDomainThatIsNoDnsNameIsRejected() {
        ConfigProblem problem = onlyError("""
                [interface]
                privateKey = "@OUR_PRIVATE_KEY@"
                address = ["10.8.0.2/32"]
                dns = ["10.20.0.53"]
                dnsDomains = ["corp.example", "corp..example"]

                [[peer]]
                publicKey = "@PEER_KEY@"
                allowedIPs = ["10.20.0.0/16"]
                """);
        assertProblem(problem, Reason.BAD_DNS_DOMAIN, 5, 31, "interface.dnsDomains[1]");
    }

    @Test
    void dnsDomainsWithoutADnsServerAreRejected() {
        ConfigProblem problem = onlyError("""
                [interface]
                privateKey = "@OUR_PRIVATE_KEY@"
                address = ["10.8.0.2/32"]
                dnsDomains = ["corp.example"]

                [[peer]]
                publicKey = "@PEER_KEY@"
                allowedIPs = ["10.20.0.0/16"]
                """);
        assertProblem(problem, Reason.DNS_DOMAINS_WITHOUT_SERVERS, 4, 15, "interface.dnsDomains[0]");
    }

    @Test
    void aDnsAccessThatIsNeitherAppsNorEveryoneIsRejected() {
        ConfigProblem problem = onlyError("""
                [interface]
                privateKey = "@OUR_PRIVATE_KEY@"
                address = ["10.8.0.2/32"]
                dns = ["10.20.0.53"]
                dnsAccess = "all"

                [[peer]]
                publicKey = "@PEER_KEY@"
                allowedIPs = ["10.20.0.0/16"]
                """);
        assertProblem(problem, Reason.BAD_DNS_ACCESS, 5, 13, "interface.dnsAccess");
    }

    @Test
    void aDnsResolverNoBackendNamesIsRejectedWithTheChoices() {
        ConfigProblem problem = onlyError("""
                [interface]
                privateKey = "@OUR_PRIVATE_KEY@"
                address = ["10.8.0.2/32"]
                dns = ["10.20.0.53"]
                dnsResolver = "networkmanager"

                [[peer]]
                publicKey = "@PEER_KEY@"
                allowedIPs = ["10.20.0.0/16"]
                """);
        assertProblem(problem, Reason.BAD_DNS_RESOLVER, 5, 15, "interface.dnsResolver");
        assertTrue(
                problem.message().contains("expected one of auto, systemd-resolved, resolvconf, file, none"),
                problem.message());
    }

    @Test
    void onePrefixInTheAllowedIPsOfTwoPeersIsRejectedWhereItRepeats() {
        ConfigProblem problem = onlyError("""
                [interface]
                privateKey = "@OUR_PRIVATE_KEY@"
                address = ["10.8.0.2/32"]

                [[peer]]
                publicKey = "@PEER_KEY@"
                allowedIPs = ["10.20.0.0/16", "10.30.0.0/16"]

                [[peer]]
                publicKey = "%s"
                allowedIPs = ["10.40.0.0/16", "10.30.0.0/16"]
                """.formatted(ConfigTesting.OTHER_PEER_KEY));
        assertProblem(problem, Reason.DUPLICATE_ALLOWED_IP, 11, 31, "peer[1].allowedIPs[1]");
        assertTrue(
                problem.message().startsWith("10.30.0.0/16 is already listed at peer[0].allowedIPs[1]"),
                problem.message());
    }

    @Test
    void peerWithOurOwnPublicKeyIsRejected() {
        ConfigProblem problem = onlyError("""
                [interface]
                privateKey = "@OUR_PRIVATE_KEY@"
                address = ["10.8.0.2/32"]

                [[peer]]
                publicKey = "%s"
                allowedIPs = ["10.20.0.0/16"]
                """.formatted(ConfigTesting.OUR_PUBLIC_KEY));
        assertProblem(problem, Reason.PEER_IS_SELF, 6, 13, "peer[0].publicKey");
    }

    @Test
    void relativeExecIsRejected() {
        ConfigProblem problem = onlyErrorOfApp("""
                name = "ssh"
                exec = "bin/ssh"
                """);
        assertProblem(problem, Reason.EXEC_NOT_ABSOLUTE, 11, 8, "peer[0].allowedApps[0].exec");
    }

    @Test
    void sha256ThatIsNot64HexDigitsIsRejected() {
        ConfigProblem problem = onlyErrorOfApp("""
                name = "ssh"
                sha256 = "g000000000000000000000000000000000000000000000000000000000000000"
                """);
        assertProblem(problem, Reason.BAD_SHA256, 11, 10, "peer[0].allowedApps[0].sha256");
    }

    @Test
    void childrenOtherThanSameExecOrAnyIsRejected() {
        ConfigProblem problem = onlyErrorOfApp("""
                name = "ssh"
                children = "some"
                """);
        assertProblem(problem, Reason.BAD_CHILDREN, 11, 12, "peer[0].allowedApps[0].children");
    }

    @Test
    void allowExecEntryThatIsNotAbsoluteIsRejected() {
        ConfigProblem problem = onlyErrorOfApp("""
                name = "ssh"
                allowExec = ["/usr/bin/nc", "nc"]
                """);
        assertProblem(problem, Reason.EXEC_NOT_ABSOLUTE, 11, 29, "peer[0].allowedApps[0].allowExec[1]");
    }

    @Test
    void argsThatIsNoRegularExpressionIsRejected() {
        ConfigProblem problem = onlyErrorOfApp("""
                name = "ssh"
                args = "(unclosed"
                """);
        assertProblem(problem, Reason.BAD_ARGS_PATTERN, 11, 8, "peer[0].allowedApps[0].args");
    }

    @Test
    void allowExecWithChildrenAnyIsRejectedBecauseItWouldMeanNothing() {
        ConfigProblem problem = onlyErrorOfApp("""
                name = "git"
                children = "any"
                allowExec = ["/usr/bin/ssh"]
                """);
        assertProblem(problem, Reason.ALLOW_EXEC_WITHOUT_SAME_EXEC, 12, 14, "peer[0].allowedApps[0].allowExec[0]");
    }

    @Test
    void grantWithAnUnknownProtocolIsBadSyntax() {
        ConfigProblem problem = onlyErrorOfApp("""
                name = "ping"
                allow = ["10.20.0.0/16 icmp"]
                """);
        assertProblem(problem, Reason.BAD_GRANT_SYNTAX, 11, 10, "peer[0].allowedApps[0].allow[0]");
    }

    @Test
    void reversedPortRangeIsABadPortRange() {
        ConfigProblem problem = onlyErrorOfApp("""
                name = "web"
                allow = ["10.20.0.0/16 tcp/443", "10.20.0.0/16 tcp/8099-8000"]
                """);
        assertProblem(problem, Reason.BAD_PORT_RANGE, 11, 34, "peer[0].allowedApps[0].allow[1]");
    }

    @Test
    void grantOutsideAllowedIpsIsRejectedWithItsPosition() {
        ConfigProblem problem = onlyError("""
                [interface]
                privateKey = "@OUR_PRIVATE_KEY@"
                address = ["10.8.0.2/32"]

                [[peer]]
                publicKey = "@PEER_KEY@"
                allowedIPs = ["10.20.0.0/16", "fd10:20::/32"]

                [[peer.allowedApps]]
                name = "ssh"
                allow = ["10.20.0.0/16 tcp/22", "fd10:20::/32 tcp/22", "10.30.0.0/24 tcp/22"]
                """);
        assertProblem(problem, Reason.GRANT_OUTSIDE_ALLOWED_IPS, 11, 56, "peer[0].allowedApps[0].allow[2]");
        assertEquals(
                "corp.toml:11:56: peer[0].allowedApps[0].allow[2]: grant 10.30.0.0/24 tcp/22 is outside the peer's"
                        + " allowedIPs (10.20.0.0/16, fd10:20::/32)",
                problem.toString());
    }

    @Test
    void grantWiderThanAllowedIpsIsOutsideThem() {
        ConfigProblem problem = onlyError("""
                [interface]
                privateKey = "@OUR_PRIVATE_KEY@"
                address = ["10.8.0.2/32"]

                [[peer]]
                publicKey = "@PEER_KEY@"
                allowedIPs = ["10.20.0.0/16"]
                allowedApps = [{ name = "ssh", allow = ["10.0.0.0/8 tcp/22"] }]
                """);
        assertProblem(problem, Reason.GRANT_OUTSIDE_ALLOWED_IPS, 8, 41, "peer[0].allowedApps[0].allow[0]");
    }

    @Test
    void configWithoutPeersIsRejected() {
        ConfigProblem problem = onlyError("""
                # no peers yet

                [interface]
                privateKey = "@OUR_PRIVATE_KEY@"
                address = ["10.8.0.2/32"]
                """);
        assertProblem(problem, Reason.NO_PEERS, 3, 1, "peer");
    }

    @Test
    void fiveDifferentMistakesAreFiveErrorsInFileOrder() throws IOException {
        List<ConfigProblem> problems = assertThrows(
                        BadConfigException.class, () -> TunnelConfig.parse(fiveMistakes(), Path.of("bad.toml")))
                .problems();
        assertEquals(5, problems.size(), problems::toString);
        assertProblem(problems.get(0), Reason.MTU_OUT_OF_RANGE, 5, 7, "interface.mtu");
        assertProblem(problems.get(1), Reason.BAD_ENDPOINT, 10, 12, "peer[0].endpoint");
        assertProblem(problems.get(2), Reason.UNKNOWN_KEY, 11, 1, "peer[0].allowedIps");
        assertProblem(problems.get(3), Reason.HOST_BITS_SET, 12, 31, "peer[0].allowedIPs[1]");
        assertProblem(problems.get(4), Reason.GRANT_OUTSIDE_ALLOWED_IPS, 16, 33, "peer[0].allowedApps[0].allow[1]");
    }

    /** The one problem of a config whose one peer's one app table (line 9) holds {@code appKeys} from line 10. */
    static ConfigProblem onlyErrorOfApp(String appKeys) {
        return onlyError("""
                [interface]
                privateKey = "@OUR_PRIVATE_KEY@"
                address = ["10.8.0.2/32"]

                [[peer]]
                publicKey = "@PEER_KEY@"
                allowedIPs = ["10.20.0.0/16"]

                [[peer.allowedApps]]
                """ + appKeys);
    }

    /** The config with five mistakes that the CLI test checks too. */
    static String fiveMistakes() throws IOException {
        try (InputStream in = ConfigErrorsTest.class.getResourceAsStream("/configs/five-mistakes.toml")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
