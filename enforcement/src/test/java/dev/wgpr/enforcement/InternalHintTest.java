package dev.wgpr.enforcement;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.common.net.IpPrefix;
import java.util.List;
import org.junit.jupiter.api.Test;

class InternalHintTest {
    private static TrieEntry internal(String prefix) {
        return TrieEntry.internalSet(IpPrefix.parse(prefix), true, 1, false, false);
    }

    private static boolean v4(int[] words, int first, int second) {
        int value = (first << 8) | second;
        return (words[value >>> 5] & (1 << (value & 31))) != 0;
    }

    private static boolean v4(int[] words, InternalHint.Layer layer, int first, int second) {
        int value = (first << 8) | second;
        int word = layer.ordinal() * InternalHint.WORDS_PER_LAYER + (value >>> 5);
        return (words[word] & (1 << (value & 31))) != 0;
    }

    private static boolean v6(int[] words, int first16) {
        return (words[InternalHint.WORDS_PER_FAMILY + (first16 >>> 5)] & (1 << (first16 & 31))) != 0;
    }

    private static int bits(int[] words, int from, int to) {
        int n = 0;
        for (int i = from; i < to; i++) {
            n += Integer.bitCount(words[i]);
        }
        return n;
    }

    @Test
    void anIpv4PrefixLongerThan16BitsSetsTheOneBitOfItsFirstTwoBytes() {
        int[] words = InternalHint.of(List.of(internal("10.20.1.0/24")));
        assertTrue(v4(words, 10, 20));
        assertEquals(1, bits(words, 0, InternalHint.WORDS_PER_LAYER));
    }

    @Test
    void anIpv4PrefixShorterThan16BitsSetsEverySixteenItSpans() {
        int[] words = InternalHint.of(List.of(internal("10.0.0.0/8")));
        assertEquals(256, bits(words, 0, InternalHint.WORDS_PER_FAMILY));
        assertTrue(v4(words, 10, 0) && v4(words, 10, 255));
        assertFalse(v4(words, 9, 255) || v4(words, 11, 0));
        assertEquals(0, bits(words, InternalHint.WORDS_PER_FAMILY, InternalHint.WORDS_PER_LAYER), "nothing of IPv6");
    }

    @Test
    void anIpv6PrefixSetsItsOwnFamilyOnly() {
        int[] words = InternalHint.of(List.of(internal("fd00::/8"), internal("2001:db8::/32")));
        assertEquals(256 + 1, bits(words, InternalHint.WORDS_PER_FAMILY, InternalHint.WORDS_PER_LAYER));
        assertTrue(v6(words, 0xfd00) && v6(words, 0xfdff) && v6(words, 0x2001));
        assertFalse(v6(words, 0xfc00) || v6(words, 0x2002));
        assertEquals(0, bits(words, 0, InternalHint.WORDS_PER_FAMILY));
    }

    @Test
    void anIpv6PrefixThatHoldsTheIpv4MappedRangeCoversEveryIpv4DestinationAsTheTrieDoes() {
        int[] everything = InternalHint.of(List.of(internal("::/0")));
        assertEquals(InternalHint.WORDS * 32, bits(everything, 0, InternalHint.WORDS), "a deny ::/0, in every layer");

        int[] lowSixteen = InternalHint.of(List.of(internal("::/16")));
        assertEquals(65536 + 1, bits(lowSixteen, 0, InternalHint.WORDS_PER_LAYER));

        int[] beside = InternalHint.of(List.of(internal("::1:0:0:0/80")));
        assertEquals(1, bits(beside, 0, InternalHint.WORDS_PER_LAYER), "::1:0:0:0/80 does not hold ::ffff:0:0/96");
    }

    @Test
    void exclusionsAndGrantsSetNothing() {
        TrieEntry excluded = TrieEntry.internalSet(IpPrefix.parse("10.20.0.0/16"), false, 0, false, false);
        TrieEntry grant = new TrieEntry(7, IpPrefix.parse("10.30.0.0/16"), false, 0, List.of(), List.of(), true);
        assertArrayEquals(new int[InternalHint.WORDS], InternalHint.of(List.of(excluded, grant)));
    }

    @Test
    void theUnionHoldsTheBitsOfBothGenerations() {
        int[] old = InternalHint.of(List.of(internal("10.20.0.0/16")));
        int[] next = InternalHint.of(List.of(internal("10.30.0.0/16")));
        int[] during = InternalHint.union(old, next);
        assertTrue(v4(during, 10, 20) && v4(during, 10, 30));
        assertEquals(2, bits(during, 0, InternalHint.WORDS_PER_LAYER));
        assertTrue(v4(old, 10, 20) && !v4(old, 10, 30), "the union leaves its arguments as they were");
    }

    @Test
    void aBypassedPrefixIsInternalButDeniesNoNonAppNorExcludedApp() {
        TrieEntry bypassed = TrieEntry.internalSet(IpPrefix.parse("0.0.0.0/0"), true, 1, true, true);
        TrieEntry corporate = internal("10.0.0.0/8");
        int[] words = InternalHint.of(List.of(bypassed, corporate));
        assertTrue(v4(words, InternalHint.Layer.ANY, 203, 0));
        assertFalse(v4(words, InternalHint.Layer.OTHERS, 203, 0), "a non-app goes around it");
        assertFalse(v4(words, InternalHint.Layer.EXCLUDED, 203, 0), "an excluded app goes around it");
        assertTrue(v4(words, InternalHint.Layer.OTHERS, 10, 1), "the deny tunnel's prefix");
        assertTrue(v4(words, InternalHint.Layer.EXCLUDED, 10, 1));
    }

    @Test
    void aPrefixOnlyExcludedAppsGoAroundDeniesNonAppsStill() {
        TrieEntry around = TrieEntry.internalSet(IpPrefix.parse("0.0.0.0/1"), true, 1, false, true);
        int[] words = InternalHint.of(List.of(around));
        assertTrue(v4(words, InternalHint.Layer.OTHERS, 64, 0));
        assertFalse(v4(words, InternalHint.Layer.EXCLUDED, 64, 0));
        assertFalse(v4(words, InternalHint.Layer.ANY, 128, 0));
    }
}
