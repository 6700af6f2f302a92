package dev.wgpr.enforcement;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The order a new generation's entries go into its trie. The kernel allocates a node for each entry, and an
 * intermediate one where two keys first differ, as the entries arrive; nodes allocated one after another
 * share pages. In the compiler's order (a grant's prefixes in hash order) the few nodes near the root, which
 * every lookup walks, end up on as many pages as there are nodes in the path, scattered over a large
 * trie's memory, and where the TLB is flushed on every system call (PTI without PCID) each page is a page
 * walk per hook run (enforcement/DESIGN.md, "Cost": internal-allow at 100,000 prefixes, 3.2-3.7x the no-op
 * program in the compiler's order, 2.7-2.9x in this one, side by side). Broad prefixes first, and among keys
 * of one length the order of their bit-reversed data (so that the first few spread over the whole trie),
 * allocate those nodes first and together. The trie holds the same entries whatever the order.
 */
final class TrieFillOrder {
    private TrieFillOrder() {}

    static List<TrieEntry> of(List<TrieEntry> entries) {
        record Keyed(TrieEntry entry, int prefixlen, byte[] reversed) {}
        return entries.stream()
                .map(entry -> {
                    byte[] key = KernelLayout.key(entry.app(), entry.prefix());
                    int prefixlen = (key[0] & 0xff) | (key[1] & 0xff) << 8; // little endian, at most 160
                    byte[] reversed = new byte[key.length - 4];
                    for (int i = 0; i < reversed.length; i++) {
                        reversed[i] = (byte) (Integer.reverse(key[key.length - 1 - i] & 0xff) >>> 24);
                    }
                    return new Keyed(entry, prefixlen, reversed);
                })
                .sorted(Comparator.comparingInt(Keyed::prefixlen)
                        .thenComparing(Keyed::reversed, Arrays::compareUnsigned))
                .map(Keyed::entry)
                .toList();
    }
}
