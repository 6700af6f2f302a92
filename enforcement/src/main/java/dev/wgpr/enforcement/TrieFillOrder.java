package dev.wgpr.enforcement;

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

    /** An entry with its kernel key ({@link KernelLayout#key}), encoded once for the sort and the fill. */
    record Keyed(TrieEntry entry, byte[] key) {
        Keyed(TrieEntry entry) {
            this(entry, KernelLayout.key(entry.app(), entry.prefix()));
        }

        int prefixlen() {
            return (key[0] & 0xff) | (key[1] & 0xff) << 8; // little endian, at most 160
        }
    }

    private static final Comparator<Keyed> ORDER =
            Comparator.comparingInt(Keyed::prefixlen).thenComparing((a, b) -> compareReversed(a.key(), b.key()));

    static List<Keyed> of(List<TrieEntry> entries) {
        return entries.stream().map(Keyed::new).sorted(ORDER).toList();
    }

    /** The keys' data (after prefixlen) compared bit-reversed: last byte first, each byte's last bit first. */
    private static int compareReversed(byte[] a, byte[] b) {
        for (int i = a.length - 1; i >= 4; i--) {
            int x = Integer.reverse(a[i] & 0xff) >>> 24;
            int y = Integer.reverse(b[i] & 0xff) >>> 24;
            if (x != y) {
                return Integer.compare(x, y);
            }
        }
        return 0;
    }
}
