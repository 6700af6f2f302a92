package dev.wgpr.client.importer;

import java.util.List;

/**
 * A converted config.
 *
 * @param toml the wg-pr config, TOML 1.0
 * @param findings everything the user must know about the conversion, in line order
 * @param summary one line saying what was imported
 */
public record ImportResult(String toml, List<Finding> findings, String summary) {
    public ImportResult {
        findings = List.copyOf(findings);
    }

    public List<Finding> findings(Finding.Kind kind) {
        return findings.stream().filter(f -> f.kind() == kind).toList();
    }
}
