package dev.wgpr.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.TestPaths;
import dev.wgpr.client.config.TunnelConfig;
import dev.wgpr.client.dns.HostResolver;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckCommandTest {
    @Test
    void configWithFiveMistakesExitsTwoAndPrintsFiveErrorLines(@TempDir Path directory) throws IOException {
        Path config = directory.resolve("bad.toml");
        try (InputStream in = getClass().getResourceAsStream("/configs/five-mistakes.toml")) {
            Files.copy(in, config);
        }
        CliRun run = CliRun.of("check", config.toString());
        assertEquals(WgPrCommand.EXIT_BAD_INPUT, run.exitCode());
        assertEquals("", run.out(), "no plan for a bad config");
        List<String> errorLines = run.err()
                .lines()
                .filter(line -> line.matches("\\Q" + config + "\\E:\\d+:\\d+: .+"))
                .toList();
        assertEquals(5, errorLines.size(), run.err());
        assertTrue(errorLines.getFirst().startsWith(config + ":5:7: interface.mtu: "), errorLines.getFirst());
        assertTrue(run.err().contains("5 errors in " + config + "; nothing was changed"), run.err());
    }

    @Test
    void corpExamplePrintsThePlanWithoutThePrivateKey(@TempDir Path directory) throws IOException {
        Path config =
                Files.copy(TestPaths.repositoryRoot().resolve("configs/corp.toml"), directory.resolve("corp.toml"));
        Files.setPosixFilePermissions(config, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        CliRun run = CliRun.of("check", config.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(
                run.err().lines().allMatch(line -> line.contains(": warning: ") && line.contains(".exec: no file ")),
                "no warnings for the example but apps this machine lacks: " + run.err());
        String plan = run.out();
        for (String expected : List.of(
                "interface corp0",
                "B6hetPFh//PG7ChhSKcWCMtYFWw6X7pxIKmkXdGV4mw=", // the public key
                "per-prefix (auto → per-prefix because",
                "peer corp-gw",
                "vpn.example.com:51820 (the name is resolved at up, not now)",
                "10.20.0.0/16 dev corp0",
                "fd10:20::/32 dev corp0",
                "route lookup for the endpoint",
                "10.20.2.0/24 tcp/8000-8099,9000",
                "internal prefixes")) {
            assertTrue(plan.contains(expected), () -> "missing '" + expected + "' in:\n" + plan);
        }
        String privateKey = Files.readAllLines(config).stream()
                .filter(line -> line.startsWith("privateKey"))
                .findFirst()
                .orElseThrow()
                .replaceAll(".*\"(.*)\".*", "$1");
        assertFalse(plan.contains(privateKey), "the plan must never show the private key");
    }

    @Test
    void thePlanNamesTheBackendUpWouldUseOnThisKernelAndWhy(@TempDir Path directory) throws IOException {
        boolean kernelHere = KernelWireGuardPresence.here().kernelBackend();
        Path auto = Files.copy(TestPaths.repositoryRoot().resolve("configs/corp.toml"), directory.resolve("auto.toml"));
        String autoPlan = CliRun.of("check", auto.toString()).out();
        String chosen = kernelHere ? "kernel" : "userspace";
        assertTrue(
                autoPlan.contains("  backend         " + chosen + " (auto → " + chosen + " because this kernel "),
                autoPlan);

        Path kernel = directory.resolve("kernel.toml");
        Files.writeString(
                kernel,
                Files.readString(auto).replaceFirst("\\[interface\\]\n", "[interface]\nbackend = \"kernel\"\n"));
        CliRun kernelRun = CliRun.of("check", kernel.toString());
        assertEquals(0, kernelRun.exitCode(), kernelRun.err());
        assertTrue(kernelRun.out().contains("  backend         kernel (set in the config)"), kernelRun.out());
        assertEquals(!kernelHere, kernelRun.out().contains("but this kernel has no WireGuard module: up fails here"));
    }

    @Test
    void aFullTunnelDenyingByDefaultIsWarnedOnStderrAndSaysWhatNonAppsLose(@TempDir Path directory) throws IOException {
        Path config = Files.writeString(directory.resolve("vpn.toml"), """
                [interface]
                privateKey = "wI7M4flROZFaV3d9lSkM6fkGQm3mcQm8nB0Ivxb9ylc="
                address = ["10.8.0.2/32"]

                [[peer]]
                publicKey = "sfnQo04r2H4azGR0gkEpHTtGGYrzqtORSt41p9FMsHQ="
                allowedIPs = ["0.0.0.0/0"]
                """);
        Files.setPosixFilePermissions(config, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        CliRun run = CliRun.of("check", config.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(
                run.err()
                        .contains(config + ":7:15: warning: peer[0].allowedIPs[0]: denied 0.0.0.0/0: every process"
                                + " that is no app loses the Internet while this tunnel is up"),
                run.err());
        assertTrue(run.out().contains("others          deny: every process that is no app is denied"), run.out());
        assertTrue(run.out().contains("denied 0.0.0.0/0: every process that is no app loses the Internet"), run.out());
        assertFalse(run.out().contains("keeps its Internet access"), run.out());
    }

    @Test
    void bypassAndExcludedAppsAreExplainedInThePlan(@TempDir Path directory) throws IOException {
        Path config = Files.writeString(directory.resolve("vpn.toml"), """
                [interface]
                privateKey = "wI7M4flROZFaV3d9lSkM6fkGQm3mcQm8nB0Ivxb9ylc="
                address = ["10.8.0.2/32"]
                others = "bypass"

                [[interface.excludedApps]]
                name = "torrent"
                exec = "/bin/sh"

                [[peer]]
                publicKey = "sfnQo04r2H4azGR0gkEpHTtGGYrzqtORSt41p9FMsHQ="
                allowedIPs = ["0.0.0.0/0"]
                """);
        Files.setPosixFilePermissions(config, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        CliRun run = CliRun.of("check", config.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertEquals("", run.err(), "the mode is written out: no warning");
        for (String expected : List.of(
                "others          bypass: every process that is no app goes around the tunnel through the underlay",
                "(include mode: only the apps use the VPN)",
                "excluded apps   torrent (/bin/sh started with wg-pr run --app torrent): never uses the tunnel",
                "every other process reaches them through the underlay")) {
            assertTrue(run.out().contains(expected), () -> "missing '" + expected + "' in:\n" + run.out());
        }
    }

    @Test
    void diSemiDefaultPlanShowsTheTwoHalvesAndWhy(@TempDir Path directory) throws IOException {
        Path config = Files.writeString(directory.resolve("full.toml"), """
                [interface]
                privateKey = "wI7M4flROZFaV3d9lSkM6fkGQm3mcQm8nB0Ivxb9ylc="
                address = ["10.8.0.2/32", "fd10:8::2/128"]

                [[peer]]
                publicKey = "sfnQo04r2H4azGR0gkEpHTtGGYrzqtORSt41p9FMsHQ="
                endpoint = "192.0.2.1:51820"
                allowedIPs = ["0.0.0.0/0", "::/0"]
                """);
        CliRun run = CliRun.of("check", config.toString());
        assertEquals(0, run.exitCode(), run.err());
        for (String expected : List.of(
                "di-semi-default (auto → di-semi-default because",
                "0.0.0.0/1 dev full",
                "128.0.0.0/1 dev full",
                "::/1 dev full",
                "8000::/1 dev full",
                "apps            none")) {
            assertTrue(run.out().contains(expected), () -> "missing '" + expected + "' in:\n" + run.out());
        }
    }

    @Test
    void worldReadableKeyFileIsWarnedAboutOnStderrAndTheCheckPasses(@TempDir Path directory) throws IOException {
        Path key = Files.writeString(directory.resolve("corp.key"), "wI7M4flROZFaV3d9lSkM6fkGQm3mcQm8nB0Ivxb9ylc=\n");
        Files.setPosixFilePermissions(key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        Path config = Files.writeString(directory.resolve("corp.toml"), """
                [interface]
                privateKeyFile = "corp.key"
                address = ["10.8.0.2/32"]

                [[peer]]
                publicKey = "sfnQo04r2H4azGR0gkEpHTtGGYrzqtORSt41p9FMsHQ="
                allowedIPs = ["10.20.0.0/16"]
                """);
        CliRun run = CliRun.of("check", config.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertEquals(
                config + ":2:18: warning: interface.privateKeyFile: `" + key + "' is world accessible\n", run.err());
        assertTrue(run.out().contains("private key     from " + key), run.out());
    }

    @Test
    void aWgQuickConfigGetsTheHintToImportIt(@TempDir Path directory) throws IOException {
        Path config = Files.writeString(directory.resolve("wg0.conf"), """
                [Interface]
                PrivateKey = wI7M4flROZFaV3d9lSkM6fkGQm3mcQm8nB0Ivxb9ylc=
                """);
        CliRun run = CliRun.of("check", config.toString());
        assertEquals(WgPrCommand.EXIT_BAD_INPUT, run.exitCode());
        assertTrue(
                run.err()
                        .endsWith("wg-pr: " + config + " looks like a wg-quick config (INI, not TOML); `wg-pr import "
                                + config + " > NAME.toml` converts it\n"),
                run.err());
    }

    @Test
    void aBareNameIsTheConfigOfThatNameInTheSystemsConfigDirectory(@TempDir Path directory) throws IOException {
        Path system = Files.createDirectory(directory.resolve("etc-wg-pr"));
        Path corp = Files.writeString(system.resolve("corp.toml"), "");
        Files.writeString(system.resolve("plain"), "");

        assertEquals(corp, ConfigLoading.resolve(Path.of("corp"), system));
        assertEquals(system.resolve("plain"), ConfigLoading.resolve(Path.of("plain"), system));
        assertEquals(Path.of("absent"), ConfigLoading.resolve(Path.of("absent"), system), "then: no such file");
        assertEquals(Path.of("sub/corp"), ConfigLoading.resolve(Path.of("sub/corp"), system), "a path is a path");
    }

    @Test
    void aBareNameThatIsNowhereSaysWhereItWasLookedFor() {
        CliRun run = CliRun.of("check", "wgpr-no-such-config");
        assertEquals(WgPrCommand.EXIT_BAD_INPUT, run.exitCode());
        assertEquals("wg-pr: wgpr-no-such-config: no such file (nor /etc/wg-pr/wgpr-no-such-config.toml)\n", run.err());
    }

    @Test
    void missingConfigFileExitsTwo(@TempDir Path directory) {
        Path config = directory.resolve("absent.toml");
        CliRun run = CliRun.of("check", config.toString());
        assertEquals(WgPrCommand.EXIT_BAD_INPUT, run.exitCode());
        assertEquals("wg-pr: " + config + ": no such file\n", run.err());
    }

    @Test
    void configThatIsNotUtf8ExitsTwo(@TempDir Path directory) throws IOException {
        Path config = Files.write(directory.resolve("latin1.toml"), new byte[] {'#', ' ', (byte) 0xe9, '\n'});
        CliRun run = CliRun.of("check", config.toString());
        assertEquals(WgPrCommand.EXIT_BAD_INPUT, run.exitCode());
        assertEquals("wg-pr: " + config + " is not UTF-8 text, so it cannot be TOML\n", run.err());
    }

    @Test
    void helpExplainsTheCommandWithAnExample() {
        CliRun run = CliRun.of("check", "--help");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("Usage: wg-pr check"), run.out());
        assertTrue(run.out().contains("Example:"), run.out());
        assertTrue(run.out().contains("wg-pr check /etc/wg-pr/corp.toml"), run.out());
        assertTrue(CliRun.of("--help").out().contains("check"), "listed among the commands");
    }

    private static final String KEYS_AND_PEER = """
            privateKey = "wI7M4flROZFaV3d9lSkM6fkGQm3mcQm8nB0Ivxb9ylc="
            address = ["10.8.0.2/32", "fd10:8::2/128"]
            dns = ["10.20.0.53"]
            dnsDomains = ["corp.example"]
            %s

            [[peer]]
            publicKey = "sfnQo04r2H4azGR0gkEpHTtGGYrzqtORSt41p9FMsHQ="
            allowedIPs = [%s]
            """;

    private static TunnelConfig tunnel(Path directory, String extra, String allowedIPs) throws Exception {
        Path file = directory.resolve("corp.toml");
        Files.writeString(file, "[interface]\n" + KEYS_AND_PEER.formatted(extra, allowedIPs));
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        return TunnelConfig.load(file).config();
    }

    private static final HostResolver.Facts RESOLVED_HOST = new HostResolver.Facts(
            "a symlink to ../run/systemd/resolve/stub-resolv.conf", true, true, Optional.empty());
    private static final HostResolver.Facts PLAIN_HOST =
            new HostResolver.Facts("a plain file", false, false, Optional.empty());

    @Test
    void onAResolvedHostASplitTunnelGetsRoutingDomainsAndIsNotTheDefaultRoute(@TempDir Path directory)
            throws Exception {
        List<String> lines =
                CheckCommand.hostResolverExplained(tunnel(directory, "", "\"10.20.0.0/16\""), RESOLVED_HOST);
        String text = String.join("\n", lines);
        assertTrue(text.startsWith("systemd-resolved (dnsResolver = \"auto\": /etc/resolv.conf is a symlink"), text);
        assertTrue(text.contains("~corp.example"), text);
        assertTrue(text.contains("not the DNS default route"), text);
        assertFalse(text.contains("warning"), text);
    }

    @Test
    void aFullTunnelBecomesTheDnsDefaultRoute(@TempDir Path directory) throws Exception {
        String text = String.join(
                "\n",
                CheckCommand.hostResolverExplained(tunnel(directory, "", "\"0.0.0.0/0\", \"::/0\""), RESOLVED_HOST));
        assertTrue(text.contains("the link becomes the DNS default route (a full tunnel)"), text);
    }

    @Test
    void aHostWithNoResolverToTellGetsTheWarningThatInternalNamesReachItsOwnServers(@TempDir Path directory)
            throws Exception {
        String text = String.join(
                "\n", CheckCommand.hostResolverExplained(tunnel(directory, "", "\"10.20.0.0/16\""), PLAIN_HOST));
        assertTrue(text.startsWith("none (dnsResolver = \"auto\""), text);
        assertTrue(text.contains("warning: the host's resolver is not told about the tunnel"), text);
    }

    @Test
    void theManagedFileIsChosenOnlyWhenAskedFor(@TempDir Path directory) throws Exception {
        String text = String.join(
                "\n",
                CheckCommand.hostResolverExplained(
                        tunnel(directory, "dnsResolver = \"file\"", "\"10.20.0.0/16\""), PLAIN_HOST));
        assertTrue(text.startsWith("file (dnsResolver = \"file\""), text);
        assertTrue(text.contains("every name goes to the link's own addresses on corp first"), text);
    }

    @Test
    void askingForSystemdResolvedWhereItIsNotOnTheBusSaysUpWillFail(@TempDir Path directory) throws Exception {
        String text = String.join(
                "\n",
                CheckCommand.hostResolverExplained(
                        tunnel(directory, "dnsResolver = \"systemd-resolved\"", "\"10.20.0.0/16\""), PLAIN_HOST));
        assertTrue(text.contains("up will fail: systemd-resolved is not on the system bus"), text);
    }
}
