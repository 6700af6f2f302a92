package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.dns.ResolvedNames;
import dev.wgpr.common.ThreadFailures;
import dev.wgpr.common.net.IpPrefix;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link Tunnels} over {@link InMemoryPieces}: the order of the stages of {@code up}, {@code reload},
 * an underlay change and {@code down}, and that a stage that fails leaves what was in force before.
 */
class TunnelsTest {
    private static final String PRIVATE_KEY = "wI7M4flROZFaV3d9lSkM6fkGQm3mcQm8nB0Ivxb9ylc=";
    private static final String PEER_KEY = "sfnQo04r2H4azGR0gkEpHTtGGYrzqtORSt41p9FMsHQ=";

    private final InMemoryPieces kernel = new InMemoryPieces();
    private final Tunnels tunnels = new Tunnels(
            kernel.pieces(),
            new DnsStage.Settings(
                    List::of,
                    new Instance("wg-pr-test"),
                    new ThreadFailures(line -> {}),
                    Optional.empty(),
                    new ResolvedNames()),
            Path.of("/nonexistent/resolver-state"));

    @TempDir
    Path dir;

    private static final IpPrefix LAN = IpPrefix.parse("10.20.9.0/24");

    @BeforeEach
    void aLanInsideTheTunnelsPrefix() {
        kernel.exclusions = List.of(LAN); // so the exact policy differs from the guard
    }

    /** A config of tunnel corp0: one peer routing {@code allowedIps}, and app {@code app} granted them. */
    private Path config(String allowedIps, String app, String grant) throws IOException {
        Path file = dir.resolve("corp0.toml");
        Files.writeString(file, """
                interface = { name = "corp0", privateKey = "%s", address = ["10.8.0.2/32"] }
                peer = [{ name = "gw", publicKey = "%s", endpoint = "192.0.2.1:51820", allowedIPs = [%s], \
                allowedApps = [{ name = "%s", allow = ["%s"] }] }]
                """.formatted(PRIVATE_KEY, PEER_KEY, allowedIps, app, grant));
        return file;
    }

    private Path corp() throws IOException {
        return config("\"10.20.0.0/16\"", "ssh", "10.20.0.0/16 tcp/22");
    }

    @Test
    void upRunsTheStagesInOrderAndDownTakesThemBackLastFirst() throws Exception {
        assertEquals("corp0", tunnels.up(corp()));
        assertEquals(
                List.of(
                        "create corp0",
                        "publish [corp0]", // the guard: before any route
                        "guard corp0", // before the link is up
                        "acquire ssh",
                        "install corp0",
                        "publish [corp0]"), // the exact internal set
                kernel.journal);
        assertEquals(
                Set.of(IpPrefix.parse("10.20.0.0/16")),
                kernel.published.get("corp0").internal().keySet());
        assertEquals(List.of(), kernel.generations.getFirst().get("corp0").exclusions(), "the guard");
        assertEquals(List.of(LAN), kernel.published.get("corp0").exclusions(), "the exact set");

        kernel.journal.clear();
        assertEquals(List.of(), tunnels.down("corp0"));
        assertEquals(
                List.of("uninstall corp0", "release ssh", "unguard corp0", "publish []", "close corp0"),
                kernel.journal);
        assertTrue(kernel.nothingInForce());
        assertTrue(tunnels.isEmpty());
    }

    @Test
    void aFullTunnelThatDeniesOthersByDefaultIsRefusedWithoutForceAndChangesNothing() throws Exception {
        // What the daemon checks itself: a caller that is not root sends no text, the daemon reads the file.
        Path full = config("\"0.0.0.0/0\"", "ssh", "10.20.0.0/16 tcp/22");
        UpFailedException e = assertThrows(UpFailedException.class, () -> tunnels.up(ConfigSource.onDisk(full), false));
        assertEquals(UpFailedException.Kind.BAD_CONFIG, e.kind());
        assertTrue(
                e.getMessage().contains("denied 0.0.0.0/0: every process that is no app loses the Internet"),
                e.getMessage());
        assertTrue(e.getMessage().endsWith("or add --force to go ahead as it is"), e.getMessage());
        assertEquals(List.of(), kernel.journal, "nothing was done");
        assertTrue(tunnels.isEmpty());

        assertEquals("corp0", tunnels.up(ConfigSource.onDisk(full), true));
        assertEquals(List.of(), tunnels.down("corp0"));
    }

    /** An operation of the in-memory kernel, and how many of its kind go through before it fails. */
    private void failOn(String operationAndPassing) {
        String[] parts = operationAndPassing.split(":");
        kernel.failOn(parts[0], Integer.parseInt(parts[1]));
    }

    @ParameterizedTest
    @ValueSource(strings = {"create:0", "publish:0", "guard:0", "acquire:0", "install:0", "publish:1"})
    void aStageThatFailsLeavesNothingOfTheTunnel(String failing) throws Exception {
        failOn(failing);
        UpFailedException e = assertThrows(UpFailedException.class, () -> tunnels.up(corp()));
        assertTrue(e.getMessage().startsWith("corp0: refused: " + failing.split(":")[0]), e.getMessage());
        assertFalse(e.getMessage().contains("undoing"), e.getMessage());
        assertTrue(kernel.nothingInForce(), kernel.journal.toString());
        assertTrue(tunnels.isEmpty());
        assertEquals("corp0", tunnels.up(corp()), "nothing left in the way of the next up");
    }

    @Test
    void undoFailuresAreReportedWithTheFailure() throws Exception {
        kernel.failOn("install");
        kernel.failOn("close");
        UpFailedException e = assertThrows(UpFailedException.class, () -> tunnels.up(corp()));
        assertTrue(e.getMessage().contains("refused: install corp0"), e.getMessage());
        assertTrue(
                e.getMessage()
                        .contains("and undoing what was done failed:\n  undo interface corp0: refused: close corp0"),
                e.getMessage());
    }

    @Test
    void aReloadGuardsTheNewPrefixesBeforeTheRoutesMoveAndLetsGoOfAppsNoLongerNamed() throws Exception {
        tunnels.up(corp());
        kernel.journal.clear();
        Reload.Outcome outcome =
                tunnels.reload(config("\"10.20.0.0/16\", \"10.30.0.0/16\"", "git", "10.30.0.0/16 tcp/22"));
        assertEquals(
                List.of(
                        "reconfigure corp0",
                        "publish [corp0]", // the guard: old and new prefixes internal
                        "acquire git",
                        "update corp0 [10.20.0.0/16, 10.30.0.0/16]",
                        "publish [corp0]", // the exact set
                        "release ssh"), // once all went through
                kernel.journal);
        assertEquals(
                Set.of(IpPrefix.parse("10.20.0.0/16"), IpPrefix.parse("10.30.0.0/16")),
                kernel.published.get("corp0").internal().keySet());
        Pieces.TunnelPolicy guard =
                kernel.generations.get(kernel.generations.size() - 2).get("corp0");
        assertEquals(
                kernel.published.get("corp0").internal().keySet(),
                guard.internal().keySet());
        assertEquals(List.of(), guard.exclusions());
        assertEquals(Map.of("git", 1), kernel.apps);
        assertTrue(
                outcome.changes().contains("app git added: [10.30.0.0/16 tcp/22]"),
                outcome.changes().toString());
        assertTrue(
                outcome.changes().contains("routes now [10.20.0.0/16, 10.30.0.0/16]"),
                outcome.changes().toString());
    }

    @Test
    void aReloadOfGrantsOnlyPublishesNoGuard() throws Exception {
        tunnels.up(corp());
        kernel.journal.clear();
        tunnels.reload(config("\"10.20.0.0/16\"", "ssh", "10.20.1.0/24 tcp/22"));
        assertEquals(List.of("reconfigure corp0", "update corp0 [10.20.0.0/16]", "publish [corp0]"), kernel.journal);
        assertEquals(
                "[10.20.1.0/24 tcp/22]",
                kernel.published.get("corp0").grants().get("ssh").toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"reconfigure:0", "publish:0", "acquire:0", "update:0", "publish:1"})
    void aReloadThatFailsLeavesTheTunnelOnItsPreviousConfig(String failing) throws Exception {
        tunnels.up(corp());
        Pieces.TunnelPolicy before = kernel.published.get("corp0");
        failOn(failing);
        Path next = config("\"10.20.0.0/16\", \"10.30.0.0/16\"", "git", "10.30.0.0/16 tcp/22");
        UpFailedException e = assertThrows(UpFailedException.class, () -> tunnels.reload(next));
        assertTrue(e.getMessage().contains("reload failed, the tunnel runs on its previous config"), e.getMessage());
        assertFalse(e.getMessage().contains("putting it back failed"), e.getMessage());
        assertEquals(before, kernel.published.get("corp0"));
        assertEquals(Map.of("ssh", 1), kernel.apps);
        assertEquals(Map.of("corp0", List.of(IpPrefix.parse("10.20.0.0/16"))), kernel.routes);
        assertEquals(
                "ssh",
                kernel.devices
                        .get("corp0")
                        .peers()
                        .getFirst()
                        .allowedApps()
                        .getFirst()
                        .name());

        tunnels.reload(next);
        assertEquals(Map.of("git", 1), kernel.apps, "the same reload goes through once nothing refuses it");
    }

    @Test
    void anUnderlayChangeMovesOnlyTheRoutesAndThePolicy() throws Exception {
        tunnels.up(corp());
        kernel.journal.clear();
        assertEquals(Map.of(), tunnels.refreshRouting(), "nothing changed, nothing said");
        assertEquals(List.of("update corp0 [10.20.0.0/16]"), kernel.journal);

        kernel.journal.clear();
        kernel.exclusions = List.of(IpPrefix.parse("10.20.8.0/24")); // the LAN moved
        Map<String, List<String>> changed = tunnels.refreshRouting();
        assertEquals(Map.of("corp0", List.of("exclusions now [10.20.8.0/24]")), changed);
        assertEquals(List.of("update corp0 [10.20.0.0/16]", "publish [corp0]"), kernel.journal);
        assertEquals(kernel.exclusions, kernel.published.get("corp0").exclusions());
    }

    @Test
    void aFailedUnderlayRefreshSaysSoAndKeepsThePolicyInForce() throws Exception {
        tunnels.up(corp());
        Pieces.TunnelPolicy before = kernel.published.get("corp0");
        kernel.exclusions = List.of(IpPrefix.parse("10.20.8.0/24"));
        kernel.failOn("publish");
        Map<String, List<String>> changed = tunnels.refreshRouting();
        assertTrue(
                changed.get("corp0").getFirst().startsWith("re-deciding the routes failed: refused: publish"),
                changed.toString());
        assertEquals(before, kernel.published.get("corp0"));
        assertEquals(List.of("update corp0 [10.20.0.0/16]", "update corp0 [10.20.0.0/16]"), kernel.entries("update"));
    }

    @Test
    void twoTunnelsShareOneAppCgroupAndDownOfOneLeavesTheOther() throws Exception {
        tunnels.up(corp());
        Path other = dir.resolve("lab0.toml");
        Files.writeString(
                other, Files.readString(corp()).replace("corp0", "lab0").replace("10.20.", "10.40."));
        tunnels.up(other);
        assertEquals(Map.of("ssh", 2), kernel.apps);
        assertEquals(
                List.of("corp0", "lab0"),
                kernel.published.keySet().stream().sorted().toList());

        tunnels.down("corp0");
        assertEquals(Map.of("ssh", 1), kernel.apps);
        assertEquals(List.of("lab0"), List.copyOf(kernel.published.keySet()));
        assertEquals(List.of("lab0"), List.copyOf(kernel.devices.keySet()));
        assertEquals(
                List.of("10.40.0.0/16"),
                kernel.routes.get("lab0").stream().map(IpPrefix::toString).toList());
    }
}
