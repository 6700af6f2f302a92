package dev.wgpr.client.fuzz;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.wgpr.client.config.BadConfigException;
import dev.wgpr.client.config.ConfigProblem;
import dev.wgpr.client.config.LoadedConfig;
import dev.wgpr.client.config.TunnelConfig;
import dev.wgpr.common.fuzz.Allocations;
import dev.wgpr.common.fuzz.MutatedSeeds;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tomlj.Toml;
import org.tomlj.TomlArray;
import org.tomlj.TomlTable;
import org.tomlj.TomlVersion;

/**
 * {@link TunnelConfig#parse} on arbitrary text: it returns a valid config (whose warnings are warnings)
 * or throws a {@link BadConfigException} with at least one error, never anything else; and its memory
 * stays proportional to the text. Seeds: the example configs and the test configs.
 *
 * <p>Key files are read relative to a source in a directory that does not exist, so a relative name
 * reads nothing; inputs naming a key file outside it are skipped (see {@link #readsOnlyHarmlessFiles}).
 */
class TunnelConfigFuzzTest {
    static final String TARGET = "parseReturnsAConfigOrBadConfigOnly";
    static final Path SOURCE = Path.of("/nonexistent-wg-pr-fuzz/corp.toml");
    static final List<String> DICTIONARY = List.of(
            "[interface]\n",
            "[[peer]]\n",
            "[[peer.allowedApps]]\n",
            "name = ",
            "privateKey = ",
            "privateKeyFile = ",
            "presharedKeyFile = ",
            "address = [",
            "allowedIPs = [",
            "allow = [",
            "routeMode = \"di-semi-default\"",
            "\"0.0.0.0/0\"",
            "\"::/0\"",
            " tcp/22",
            "listenPort = ",
            "mtu = ",
            "\"\"\"",
            "'''",
            "= 1e9",
            "= -1",
            "9223372036854775808",
            "\\u0000",
            "sfnQo04r2H4azGR0gkEpHTtGGYrzqtORSt41p9FMsHQ=");

    @FuzzTest(maxDuration = "10s")
    void parseReturnsAConfigOrBadConfigOnly(byte[] input) {
        check(input);
    }

    @Test
    void mutatedConfigsKeepTheParseContract() {
        MutatedSeeds.check(getClass(), TARGET, 400, DICTIONARY, TunnelConfigFuzzTest::check);
    }

    static void check(byte[] input) {
        String toml = new String(input, StandardCharsets.UTF_8);
        if (!readsOnlyHarmlessFiles(toml)) {
            return;
        }
        Allocations.requireAtMost(
                4 * Allocations.BASELINE + Allocations.PER_INPUT_BYTE * toml.length(),
                "parsing the config",
                () -> TunnelConfig.parse(toml, SOURCE));
        try {
            LoadedConfig loaded = TunnelConfig.parse(toml, SOURCE);
            assertTrue(loaded.warnings().stream().allMatch(w -> w.reason().isWarning()));
        } catch (BadConfigException bad) {
            assertFalse(bad.problems().isEmpty(), "a BadConfigException without problems");
            assertTrue(bad.problems().stream().map(ConfigProblem::reason).anyMatch(r -> !r.isWarning()));
        }
    }

    /**
     * Whether every key file the text names (under any key ending in {@code File}, however the key is
     * quoted or escaped) is a relative path without {@code ..}: those resolve inside a directory that
     * does not exist. The parser reads key files, and the fuzzer must not have it read this machine's
     * devices, FIFOs or keys; key files on devices have their own regression test.
     */
    static boolean readsOnlyHarmlessFiles(String toml) {
        return harmless(Toml.parse(toml, TomlVersion.V1_0_0));
    }

    private static boolean harmless(TomlTable table) {
        for (String key : table.keySet()) {
            Object value = table.get(List.of(key));
            if (key.endsWith("File") && value instanceof String path && (path.startsWith("/") || path.contains(".."))) {
                return false;
            }
            if (!harmless(value)) {
                return false;
            }
        }
        return true;
    }

    private static boolean harmless(Object value) {
        if (value instanceof TomlTable table) {
            return harmless(table);
        }
        if (value instanceof TomlArray array) {
            for (int i = 0; i < array.size(); i++) {
                if (!harmless(array.get(i))) {
                    return false;
                }
            }
        }
        return true;
    }
}
