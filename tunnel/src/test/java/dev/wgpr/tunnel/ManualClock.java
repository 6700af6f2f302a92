package dev.wgpr.tunnel;

import java.time.Duration;
import java.time.Instant;

/** A clock that moves only when told to; monotonic and wall time advance together. */
public final class ManualClock implements Clock {
    private long nanoTime;
    private Instant now;

    /** Starts at a whole second (so TAI64N rounding is predictable) and an arbitrary monotonic value. */
    public ManualClock() {
        this(Instant.parse("2026-11-22T13:48:00Z"));
    }

    public ManualClock(Instant start) {
        this.now = start;
        this.nanoTime = 1_000_000_000_000L;
    }

    public synchronized void advance(Duration duration) {
        nanoTime += duration.toNanos();
        now = now.plus(duration);
    }

    @Override
    public synchronized long nanoTime() {
        return nanoTime;
    }

    @Override
    public synchronized Instant now() {
        return now;
    }
}
