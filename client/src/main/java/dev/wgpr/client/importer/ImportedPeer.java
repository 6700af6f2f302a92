package dev.wgpr.client.importer;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/** A {@code [[peer]]} as it will be written, with the findings about its section. */
record ImportedPeer(
        String name,
        String publicKey,
        Optional<String> presharedKey,
        Optional<String> endpoint,
        List<String> allowedIps,
        OptionalInt persistentKeepalive,
        List<ImportedApp> apps,
        List<Finding> findings) {
    ImportedPeer {
        allowedIps = List.copyOf(allowedIps);
        apps = List.copyOf(apps);
        findings = findings.stream().sorted(Finding.IN_LINE_ORDER).toList();
    }
}
