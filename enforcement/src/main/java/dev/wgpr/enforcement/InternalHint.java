package dev.wgpr.enforcement;

import dev.wgpr.common.net.IpPrefix;
import java.util.Arrays;
import java.util.List;

/**
 * The internal hints of {@code enforce.bpf.h}: for IPv4 and for IPv6, one bit per value of a
 * destination's first 16 bits, in three layers: set where an entry of a generation that is internal
 * ({@link Layer#ANY}), internal and denied to non-apps ({@link Layer#OTHERS}: not bypassed), or internal
 * and not gone around by excluded apps ({@link Layer#EXCLUDED}) may cover it. The programs take a clear
 * bit as proof that no such entry covers the destination, without asking the trie, so each layer must
 * cover at least every address its entries cover; more is only slower.
 *
 * <p>Coverage is judged in the trie's own address space, where IPv4 is {@code ::ffff:a.b.c.d}: an IPv6
 * prefix that contains {@code ::ffff:0:0/96} (such as {@code ::/0}) covers every IPv4 destination too.
 */
final class InternalHint {
    /** {@code WGPR_HINT_WORDS_PER_FAMILY}. */
    static final int WORDS_PER_FAMILY = 2048;
    /** {@code WGPR_HINT_WORDS_PER_LAYER}: IPv4's words, then IPv6's. */
    static final int WORDS_PER_LAYER = 2 * WORDS_PER_FAMILY;
    /** {@code WGPR_HINT_WORDS}. */
    static final int WORDS = 3 * WORDS_PER_LAYER;

    /** The layers, in the order of {@code WGPR_HINT_*}. */
    enum Layer {
        ANY,
        OTHERS,
        EXCLUDED;

        boolean covers(TrieEntry entry) {
            if (entry.app() != 0 || !entry.internal()) {
                return false;
            }
            return switch (this) {
                case ANY -> true;
                case OTHERS -> !entry.bypass();
                case EXCLUDED -> !entry.aroundExcluded();
            };
        }
    }

    /** {@code ::ffff:0:0}, the first 96 bits of every IPv4 destination in the trie. */
    private static final byte[] IPV4_MAPPED = KernelLayout.mapped(new byte[4]);

    private InternalHint() {}

    /** The hints' words for a generation's entries. */
    static int[] of(List<TrieEntry> entries) {
        int[] words = new int[WORDS];
        for (TrieEntry entry : entries) {
            for (Layer layer : Layer.values()) {
                if (layer.covers(entry)) {
                    cover(words, layer.ordinal() * WORDS_PER_LAYER, entry.prefix());
                }
            }
        }
        return words;
    }

    /** Bitwise or: a hint that holds while either generation may be in use. */
    static int[] union(int[] a, int[] b) {
        int[] words = Arrays.copyOf(a, WORDS);
        for (int i = 0; i < WORDS; i++) {
            words[i] |= b[i];
        }
        return words;
    }

    private static void cover(int[] words, int layer, IpPrefix prefix) {
        byte[] address = prefix.address().getAddress();
        if (prefix.isIpv4()) {
            setRange(words, layer, first16(address), prefix.length());
            return;
        }
        setRange(words, layer + WORDS_PER_FAMILY, first16(address), prefix.length());
        if (prefix.length() <= 96 && samePrefix(address, IPV4_MAPPED, prefix.length())) {
            setRange(words, layer, 0, 0); // every IPv4 destination is under it
        }
    }

    /** Sets the bits of the first-16-bit values a prefix of {@code length} bits starting at {@code value} spans. */
    private static void setRange(int[] words, int offset, int value, int length) {
        int span = length >= 16 ? 1 : 1 << (16 - length);
        int first = length >= 16 ? value : value & ~(span - 1);
        for (int v = first; v < first + span; v++) {
            words[offset + (v >>> 5)] |= 1 << (v & 31);
        }
    }

    private static boolean samePrefix(byte[] a, byte[] b, int bits) {
        for (int i = 0; i < bits; i++) {
            int mask = 0x80 >>> (i & 7);
            if ((a[i >>> 3] & mask) != (b[i >>> 3] & mask)) {
                return false;
            }
        }
        return true;
    }

    private static int first16(byte[] address) {
        return ((address[0] & 0xff) << 8) | (address[1] & 0xff);
    }
}
