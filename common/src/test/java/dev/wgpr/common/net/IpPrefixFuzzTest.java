package dev.wgpr.common.net;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.wgpr.common.fuzz.Allocations;
import dev.wgpr.common.fuzz.MutatedSeeds;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link IpPrefix#parse} on arbitrary text: it returns a prefix or throws {@link IllegalArgumentException},
 * nothing else; what it returns prints back (both as RFC 5952 text and as {@code toString}) to text that
 * parses to the same prefix; and it allocates in proportion to its input.
 */
class IpPrefixFuzzTest {
    static final List<String> DICTIONARY =
            List.of("::", ":", ".", "/", "%", "[", "]", "ffff:", "::ffff:", "0", "255", "/128", "/32", "/0", "1.2.3.4");

    @FuzzTest(maxDuration = "10s")
    void parseReturnsAPrefixOrRefusesWithIllegalArgument(byte[] input) {
        check(input);
    }

    @Test
    void mutatedSeedsKeepTheParseContract() {
        MutatedSeeds.check(
                getClass(),
                "parseReturnsAPrefixOrRefusesWithIllegalArgument",
                20_000,
                DICTIONARY,
                IpPrefixFuzzTest::check);
    }

    static void check(byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8);
        Allocations.requireAtMost(
                Allocations.BASELINE + Allocations.PER_INPUT_BYTE * text.length(),
                "parsing '" + text + "'",
                () -> IpPrefix.parse(text));
        IpPrefix prefix;
        try {
            prefix = IpPrefix.parse(text);
        } catch (IllegalArgumentException refused) {
            return;
        }
        assertEquals(prefix, IpPrefix.parse(IpText.of(prefix)), "RFC 5952 text round trip of " + text);
        assertEquals(prefix, IpPrefix.parse(prefix.toString()), "toString round trip of " + text);
    }
}
