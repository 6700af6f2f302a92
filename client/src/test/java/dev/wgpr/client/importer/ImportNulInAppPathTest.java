package dev.wgpr.client.importer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.config.TunnelConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * An AllowedApps path holding a NUL (found by WgQuickImporterFuzzTest): no Linux path can, so the app is
 * imported without exec, and the config written is one the parser accepts.
 */
class ImportNulInAppPathTest {
    @Test
    void anAppPathWithANulIsImportedWithoutExecAndTheResultParses() throws Exception {
        String conf = Corpus.text("wiresock.conf").replace("/usr/bin/ssh", "/opt/Internal Too\0l");

        ImportResult result = WgQuickImporter.importConfig("wiresock.conf", conf);

        TunnelConfig.parse(result.toml(), Path.of("wiresock.toml"));
        assertTrue(
                result.findings().stream().anyMatch(f -> f.toString().contains("holds a NUL")),
                result.findings()::toString);
    }
}
