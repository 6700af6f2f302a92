package dev.wgpr.client.importer;

import java.util.List;
import java.util.OptionalInt;

/** The {@code [interface]} table as it will be written, with the findings about its section. */
record ImportedInterface(
        String name,
        String privateKey,
        List<String> addresses,
        OptionalInt listenPort,
        OptionalInt mtu,
        List<String> dns,
        List<String> dnsDomains,
        List<ImportedApp> excludedApps,
        List<Finding> findings) {
    ImportedInterface {
        addresses = List.copyOf(addresses);
        dns = List.copyOf(dns);
        dnsDomains = List.copyOf(dnsDomains);
        excludedApps = List.copyOf(excludedApps);
        findings = findings.stream().sorted(Finding.IN_LINE_ORDER).toList();
    }
}
