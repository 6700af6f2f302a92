package dev.wgpr.client.importer;

import java.util.List;
import java.util.Optional;

/**
 * An {@code [Interface]} or {@code [Peer]} section and its entries in file order.
 *
 * @param line the line of the section header
 * @param nameComment for a peer, the name a comment such as {@code # Name = hq-gw} gives it
 */
record WgQuickSection(Kind kind, int line, Optional<String> nameComment, List<WgQuickEntry> entries) {
    enum Kind {
        INTERFACE("[Interface]"),
        PEER("[Peer]");

        private final String header;

        Kind(String header) {
            this.header = header;
        }

        String header() {
            return header;
        }
    }

    WgQuickSection {
        entries = List.copyOf(entries);
    }
}
