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
    void aSlowerMachineScalesSecondsAndNanosecondsAlike() {
        System.setProperty(Pace.PROPERTY, "3");
        try {
            Pace.inherit();
            assertEquals(Duration.ofMillis(4_500), Pace.scaled(Duration.ofMillis(1_500)));
            assertEquals(Duration.ofSeconds(3, 999_999_999), Pace.scaled(Duration.ofSeconds(1, 333_333_333)));
        } finally {
            System.clearProperty(Pace.PROPERTY);
            Pace.inherit();
        }
    }

    @Test
    void thisJvmMeasuredItsStartUpNowhereSoItsTimeoutsStayAsChosen() {
        assertEquals(Duration.ofSeconds(30), Pace.scaled(Duration.ofSeconds(30)));
    }
}
