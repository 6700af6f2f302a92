package dev.wgpr.tunnel;

import java.time.Instant;

/**
 * The one source of time of the tunnel: every timer, age and timestamp reads it, so the protocol and timer
 * logic can be unit-tested with a manual clock instead of waiting.
 */
public interface Clock {
    /** Monotonic nanoseconds (like {@link System#nanoTime()}): only differences mean anything. */
    long nanoTime();

    /** Wall-clock time, for the TAI64N timestamps of handshake initiations. */
    Instant now();

    /** The system's clocks. */
    static Clock system() {
        return SystemClock.INSTANCE;
    }
}
