package dev.wgpr.client.importer;

import java.util.List;
import java.util.stream.Stream;

/** A whole converted config: what the TOML writer writes. */
record ImportedTunnel(ImportedInterface tunnelInterface, List<ImportedPeer> peers) {
    ImportedTunnel {
        peers = List.copyOf(peers);
    }

    /** Every finding of every section, in line order. */
    List<Finding> findings() {
        return Stream.concat(
                        tunnelInterface.findings().stream(), peers.stream().flatMap(peer -> peer.findings().stream()))
                .sorted(Finding.IN_LINE_ORDER)
                .toList();
    }
}
