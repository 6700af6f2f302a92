package dev.wgpr.client.fuzz;

import static org.junit.jupiter.api.Assertions.assertFalse;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.wgpr.client.config.BadConfigException;
import dev.wgpr.client.config.TunnelConfig;
import dev.wgpr.client.importer.ImportException;
import dev.wgpr.client.importer.ImportResult;
import dev.wgpr.client.importer.WgQuickImporter;
import dev.wgpr.common.fuzz.Allocations;
import dev.wgpr.common.fuzz.MutatedSeeds;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link WgQuickImporter#importConfig} on arbitrary text: it returns a conversion or throws an {@link
 * ImportException} naming at least one problem, never anything else; what it writes is a config the
 * config parser accepts; and memory stays proportional to the text. Seeds: the import corpus.
 */
class WgQuickImporterFuzzTest {
    static final String TARGET = "importYieldsAConfigTheParserAcceptsOrImportErrorOnly";
    static final List<String> DICTIONARY = List.of(
            "[Interface]\n",
            "[Peer]\n",
            "PrivateKey = ",
            "PublicKey = ",
            "PresharedKey = ",
            "Address = ",
            "AllowedIPs = ",
            "Endpoint = ",
            "DNS = ",
            "MTU = ",
            "Table = off",
            "PostUp = ",
            "AllowedApps = ",
            "DisallowedApps = ",
            "ListenPort = ",
            "PersistentKeepalive = ",
            "0.0.0.0/0",
            "::/0",
            ", ",
            "#",
            "\\\n",
            "sfnQo04r2H4azGR0gkEpHTtGGYrzqtORSt41p9FMsHQ=");

    @FuzzTest(maxDuration = "10s")
    void importYieldsAConfigTheParserAcceptsOrImportErrorOnly(byte[] input) {
        check(input);
    }

    @Test
    void mutatedWgQuickConfigsKeepTheImportContract() {
        MutatedSeeds.check(getClass(), TARGET, 300, DICTIONARY, WgQuickImporterFuzzTest::check);
    }

    static void check(byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8);
        Allocations.requireAtMost(
                4 * Allocations.BASELINE + Allocations.PER_INPUT_BYTE * text.length(),
                "importing",
                () -> WgQuickImporter.importConfig("wg0.conf", text));
        ImportResult result;
        try {
            result = WgQuickImporter.importConfig("wg0.conf", text);
        } catch (ImportException refused) {
            assertFalse(refused.problems().isEmpty(), "an ImportException without problems");
            return;
        }
        try {
            TunnelConfig.parse(result.toml(), Path.of("wg0.toml"));
        } catch (BadConfigException e) {
            throw new AssertionError(
                    "imports into a config wg-pr rejects:\n" + e.getMessage() + "\n\n" + result.toml(), e);
        }
    }
}
