package dev.wgpr.common;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class PaceTest {
    @Test
    void anOrdinaryStartUpKeepsTimeoutsAsChosen() {
        assertEquals(1, Pace.factorFor(Duration.ofMillis(180)));
        assertEquals(1, Pace.factorFor(Duration.ofMillis(500)));
    }

    @Test
    void aSlowStartUpStretchesTimeoutsByHowMuchSlowerItWasRoundedUp() {
        assertEquals(2, Pace.factorFor(Duration.ofMillis(501)));
        assertEquals(9, Pace.factorFor(Duration.ofMillis(4_300))); // a JVM under TCG emulation
    }

    @Test
    void aStuckStartUpStretchesThemNoMoreThanTwentyfold() {
        assertEquals(20, Pace.factorFor(Duration.ofMinutes(5)));
    }

    @Test
    void aFactorHandedOnToAnExecdJvmIsTakenWithinTheSameBounds() {
        assertEquals(9, Pace.handedOn("9"));
        assertEquals(20, Pace.handedOn("400"));
        assertEquals(1, Pace.handedOn("0"));
    }

    @Test
    void noFactorOrABadOneHandedOnKeepsTimeoutsAsChosen() {
        assertEquals(1, Pace.handedOn(null));
        assertEquals(1, Pace.handedOn("fast"));
    }

    @Test
    void thisJvmMeasuredItsStartUpNowhereSoItsTimeoutsStayAsChosen() {
        assertEquals(Duration.ofSeconds(30), Pace.scaled(Duration.ofSeconds(30)));
    }
}
