package dev.wgpr.enforcement.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.enforcement.policy.InvalidGrantException.Kind;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PortSetTest {
    @Test
    void disjointRangesAreNeverWidened() {
        PortSet ports = PortSet.parse("22,8000-8099");
        assertTrue(ports.contains(22));
        assertTrue(ports.contains(8000));
        assertTrue(ports.contains(8099));
        assertFalse(ports.contains(23), "the gap between 22 and 8000 stays closed");
        assertFalse(ports.contains(7999));
        assertFalse(ports.contains(8100));
        assertFalse(ports.contains(21));
        assertEquals(List.of(new PortSet.Range(22, 22), new PortSet.Range(8000, 8099)), ports.ranges());
    }

    @Test
    void overlappingAndAdjacentRangesNormalizeToTheSameSet() {
        PortSet ports = PortSet.parse("9000,8050-8120,8000-8099,8121");
        assertEquals(List.of(new PortSet.Range(8000, 8121), new PortSet.Range(9000, 9000)), ports.ranges());
        assertEquals(PortSet.parse("8000-8121,9000"), ports);
        assertEquals("8000-8121,9000", ports.toString());
    }

    @Test
    void aRangeInsideAnotherAddsNothing() {
        assertEquals(PortSet.parse("1000-2000"), PortSet.parse("1000-2000,1500-1600,1000"));
    }

    @Test
    void allContainsEveryPortAndIsTheOnlySetThatDoes() {
        assertTrue(PortSet.ALL.contains(0));
        assertTrue(PortSet.ALL.contains(65_535));
        assertTrue(PortSet.ALL.isAll());
        assertFalse(PortSet.parse("1-65535").isAll());
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "0|PORT_RANGE",
                "65536|PORT_RANGE",
                "100-99|PORT_RANGE",
                "1-70000|PORT_RANGE",
                "''|SYNTAX",
                "22,|SYNTAX",
                ",22|SYNTAX",
                "ssh|SYNTAX",
                "22-|SYNTAX",
                "-22|SYNTAX",
                "1-2-3|SYNTAX",
                "+22|SYNTAX",
                "99999999999|SYNTAX"
            })
    void badPortListsAreRejectedWithTheirKind(String text, Kind kind) {
        InvalidGrantException e = assertThrows(InvalidGrantException.class, () -> PortSet.parse(text));
        assertEquals(kind, e.kind(), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"22", "1", "65535", "22,80,443", "8000-8099,9000"})
    void canonicalTextRoundTrips(String text) {
        assertEquals(text, PortSet.parse(text).toString());
    }
}
