package dev.wgpr.enforcement.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.wgpr.common.fuzz.Allocations;
import dev.wgpr.common.fuzz.MutatedSeeds;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link Grant#parse} and {@link PortSet#parse} on arbitrary text: each returns a value or throws an
 * {@link InvalidGrantException}, nothing else (not even another {@link IllegalArgumentException}); what
 * it returns prints, with {@code toString}, to text that parses to an equal value; and memory stays
 * proportional to the text.
 */
class GrantFuzzTest {
    static final List<String> DICTIONARY =
            List.of(" tcp/", " udp/", " any/", " tcp", ",", "-", "65535", "65536", "0", "/", "::", ".", " ");

    @FuzzTest(maxDuration = "10s")
    void grantParseRoundTripsOrRefusesAsInvalidGrant(byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8);
        Allocations.requireAtMost(
                Allocations.BASELINE + Allocations.PER_INPUT_BYTE * text.length(),
                "parsing '" + text + "'",
                () -> Grant.parse(text));
        Grant grant;
        try {
            grant = Grant.parse(text);
        } catch (InvalidGrantException refused) {
            return;
        }
        assertEquals(grant, Grant.parse(grant.toString()), "round trip of '" + text + "'");
    }

    @FuzzTest(maxDuration = "10s")
    void portSetParseRoundTripsOrRefusesAsInvalidGrant(byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8);
        Allocations.requireAtMost(
                Allocations.BASELINE + Allocations.PER_INPUT_BYTE * text.length(),
                "parsing '" + text + "'",
                () -> PortSet.parse(text));
        PortSet ports;
        try {
            ports = PortSet.parse(text);
        } catch (InvalidGrantException refused) {
            return;
        }
        assertEquals(ports, PortSet.parse(ports.toString()), "round trip of '" + text + "'");
    }

    @Test
    void mutatedGrantsKeepTheParseContract() {
        MutatedSeeds.check(
                getClass(),
                "grantParseRoundTripsOrRefusesAsInvalidGrant",
                5_000,
                DICTIONARY,
                this::grantParseRoundTripsOrRefusesAsInvalidGrant);
    }

    @Test
    void mutatedPortSetsKeepTheParseContract() {
        MutatedSeeds.check(
                getClass(),
                "portSetParseRoundTripsOrRefusesAsInvalidGrant",
                5_000,
                DICTIONARY,
                this::portSetParseRoundTripsOrRefusesAsInvalidGrant);
    }
}
