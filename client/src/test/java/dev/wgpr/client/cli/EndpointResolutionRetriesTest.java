package dev.wgpr.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** WG_ENDPOINT_RESOLUTION_RETRIES read as wg(8) reads it, and the waits between the tries. */
class EndpointResolutionRetriesTest {
    private static EndpointResolutionRetries of(String value) {
        return EndpointResolutionRetries.from(Map.of(EndpointResolutionRetries.VARIABLE, value));
    }

    @Test
    void withoutTheVariableThereIsNoRetry() {
        assertNull(EndpointResolutionRetries.from(Map.of()).takeOne());
    }

    @Test
    void aNumberIsHowManyRetriesTheWaitsGrowingByAFifthFromOneSecond() {
        EndpointResolutionRetries three = of("3");
        assertEquals(
                List.of(Duration.ofMillis(1000), Duration.ofMillis(1200), Duration.ofMillis(1440)),
                List.of(three.takeOne(), three.takeOne(), three.takeOne()));
        assertNull(three.takeOne(), "three retries, no fourth");
        assertNull(of("0").takeOne());
    }

    @Test
    void infinityNeverEndsAndNoWaitIsLongerThanTwentySeconds() {
        EndpointResolutionRetries forever = of("infinity");
        List<Duration> waits = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            waits.add(forever.takeOne());
        }
        assertEquals(Duration.ofSeconds(20), waits.getLast());
        assertTrue(waits.stream().allMatch(wait -> wait.compareTo(Duration.ofSeconds(20)) <= 0), waits::toString);
    }

    @Test
    void aValueThatIsNeitherANumberNorInfinityIsRefusedWithItsName() {
        for (String bad : List.of("often", "-1", "1.5")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> of(bad));
            assertEquals(
                    "WG_ENDPOINT_RESOLUTION_RETRIES=" + bad + " is neither a number of retries nor infinity",
                    e.getMessage());
        }
    }
}
