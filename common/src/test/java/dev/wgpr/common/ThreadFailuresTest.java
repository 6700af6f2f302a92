package dev.wgpr.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ThreadFailuresTest {
    @Test
    void aLoopFailingOnEveryTurnIsCountedWhollyButReportedOnceASecondAtMostTheFirstWithItsStackTrace()
            throws Exception {
        List<String> lines = new ArrayList<>();
        AtomicLong clock = new AtomicLong(-5);
        ThreadFailures failures = new ThreadFailures(lines::add, clock::get);
        Thread loop = Thread.ofPlatform().name("timers").start(() -> {
            for (int i = 0; i < 5; i++) {
                failures.survive(new NoClassDefFoundError("out of descriptors"));
            }
            clock.addAndGet(ThreadFailures.REPORT_INTERVAL_NANOS);
            failures.survive(new NoClassDefFoundError("out of descriptors"));
        });
        loop.join();

        assertEquals(Map.of("timers", 6L), failures.counts());
        assertEquals(2, lines.size(), lines::toString);
        assertTrue(lines.getFirst().startsWith("timers survived java.lang.NoClassDefFoundError: out of descriptors"));
        assertTrue(lines.getFirst().contains("at dev.wgpr.common.ThreadFailuresTest"), "the first has its trace");
        assertTrue(lines.getLast().contains("(6 so far, 4 since the last report)"), lines.getLast());
    }

    @Test
    void aLogThatThrowsDoesNotEndTheThreadThatReports() throws Exception {
        ThreadFailures failures = new ThreadFailures(line -> {
            throw new OutOfMemoryError("the log failed too");
        });
        Thread loop = Thread.ofPlatform().name("reader").start(() -> failures.survive(new IllegalStateException()));
        loop.join();

        assertEquals(1, failures.total());
    }
}
