package dev.wgpr.tunnel.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The cases of the kernel's own self-test, drivers/net/wireguard/selftest/counter.c
 * (wg_packet_counter_selftest), with its window (2048 bits less one 64-bit word) and its
 * REJECT_AFTER_MESSAGES.
 */
class ReplayWindowTest {
    static final long WINDOW = ReplayWindow.WINDOW_SIZE;
    static final long LIMIT = WINDOW + 1; // T_LIM
    static final long REJECT = Limits.REJECT_AFTER_MESSAGES;

    private ReplayWindow window = new ReplayWindow();
    private int step;

    private void t(long counter, boolean accepted) {
        step++;
        assertEquals(accepted, window.accept(counter), "case " + step + ", counter " + Long.toUnsignedString(counter));
    }

    @Test
    void windowAndLimitHaveTheKernelsValues() {
        assertEquals(1984, WINDOW);
        assertEquals("18446744073709549630", Long.toUnsignedString(REJECT)); // 2^64 - 1 - 1984 - 1
    }

    @Test
    void theKernelSelfTestSequenceGivesTheSameVerdicts() {
        t(0, true); // 1
        t(1, true);
        t(1, false);
        t(9, true);
        t(8, true); // 5
        t(7, true);
        t(7, false);
        t(LIMIT, true);
        t(LIMIT - 1, true);
        t(LIMIT - 1, false); // 10
        t(LIMIT - 2, true);
        t(2, true);
        t(2, false);
        t(LIMIT + 16, true);
        t(3, false); // 15
        t(LIMIT + 16, false);
        t(LIMIT * 4, true);
        t(LIMIT * 4 - (LIMIT - 1), true);
        t(10, false);
        t(LIMIT * 4 - LIMIT, false); // 20
        t(LIMIT * 4 - (LIMIT + 1), false);
        t(LIMIT * 4 - (LIMIT - 2), true);
        t(LIMIT * 4 + 1 - LIMIT, false);
        t(0, false);
        t(REJECT, false); // 25
        t(REJECT - 1, true);
        t(REJECT, false);
        t(REJECT - 1, false);
        t(REJECT - 2, true);
        t(REJECT + 1, false); // 30
        t(REJECT + 2, false);
        t(REJECT - 2, false);
        t(REJECT - 3, true);
        t(0, false); // 34
    }

    @Test
    void aFullWindowInOrderStillTakesZeroOnce() {
        for (long i = 1; i <= WINDOW; i++) {
            t(i, true);
        }
        t(0, true);
        t(0, false);
    }

    @Test
    void aFullWindowFromTwoStillTakesOneButNotZero() {
        for (long i = 2; i <= WINDOW + 1; i++) {
            t(i, true);
        }
        t(1, true);
        t(0, false);
    }

    @Test
    void descendingCountersAllFitTheWindow() {
        for (long i = WINDOW + 1; i-- > 0; ) {
            t(i, true);
        }
    }

    @Test
    void descendingFromOneBeyondTheWindowLeavesZeroOutside() {
        for (long i = WINDOW + 2; i-- > 1; ) {
            t(i, true);
        }
        t(0, false);
    }

    @Test
    void descendingThenTheTopPushesZeroOut() {
        for (long i = WINDOW + 1; i-- > 1; ) {
            t(i, true);
        }
        t(WINDOW + 1, true);
        t(0, false);
    }

    @Test
    void descendingThenZeroThenTheTopAreAllNew() {
        for (long i = WINDOW + 1; i-- > 1; ) {
            t(i, true);
        }
        t(0, true);
        t(WINDOW + 1, true);
    }

    @Test
    void aJumpOfExactlyTheRingSizeFindsItsWordCleared() {
        // Same ring slot and same bit as the counter before, one full ring (2048) later: it is new.
        assertTrue(window.accept(100));
        assertTrue(window.accept(100 + ReplayWindow.BITS_TOTAL));
        assertTrue(window.accept(100 + 3L * ReplayWindow.BITS_TOTAL));
        assertFalse(window.accept(100 + 3L * ReplayWindow.BITS_TOTAL));
    }

    @Test
    void aLargeJumpClearsTheWholeRing() {
        assertTrue(window.accept(5));
        assertTrue(window.accept(1_000_000));
        assertFalse(window.accept(5));
        assertTrue(window.accept(1_000_000 - WINDOW));
        assertFalse(window.accept(1_000_000 - WINDOW - 1));
        window = new ReplayWindow();
        assertTrue(window.accept(REJECT - 1));
        assertFalse(window.accept(0));
    }
}
