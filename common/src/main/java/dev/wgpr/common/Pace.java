package dev.wgpr.common;

import java.time.Duration;
import java.time.Instant;

/**
 * How slowly this machine runs wg-pr, to scale the timeouts that were chosen on an ordinary one. A JVM
 * that took long to reach {@code main} (an emulated CPU, as in the VM test tier, or a host busy with
 * other work) will be as slow to start the daemon, load the BPF programs and bring a tunnel up, and a
 * fixed number of seconds would fail it for being slow, not for being wrong.
 *
 * <p>The factor is this JVM's start-up time (process start to {@link #recordStartUp()}, which the
 * executable's {@code main} calls first) over {@link #TYPICAL_START_UP}, at least 1 and at most
 * {@link #MAX_FACTOR}; 1 when nothing recorded it (tests, library use).
 */
public final class Pace {
    /** What starting the wg-pr CLI's JVM takes on an ordinary machine (about 0.2 s measured here). */
    static final Duration TYPICAL_START_UP = Duration.ofMillis(500);

    /** A machine more than this much slower is stuck rather than slow. */
    static final long MAX_FACTOR = 20;

    /**
     * The system property through which a JVM hands its factor to the JVM it execs: the second one's
     * start-up measured from the process's start would count both (the locked-down daemon image).
     */
    static final String PROPERTY = "wgpr.pace";

    private static volatile long factor = 1;

    private Pace() {}

    /** Measures this JVM's start-up, once, at the start of {@code main}. */
    public static void recordStartUp() {
        ProcessHandle.current()
                .info()
                .startInstant()
                .ifPresent(start -> factor = factorFor(Duration.between(start, Instant.now())));
    }

    /** {@code base}, as long as this machine needs for what takes {@code base} on an ordinary one. */
    public static Duration scaled(Duration base) {
        // Not Duration.multipliedBy, which computes in BigDecimal: its class initialiser alone is tens of
        // ms in the CLI's quick commands, and a busy host, whose factor is above 1, is where they are slow.
        return Duration.ofSeconds(Math.multiplyExact(base.getSeconds(), factor), (long) base.getNano() * factor);
    }

    public static long factor() {
        return factor;
    }

    /** The JVM option that hands this JVM's factor to one it execs, which calls {@link #inherit()}. */
    public static String option() {
        return "-D" + PROPERTY + "=" + factor;
    }

    /** Takes the factor the JVM that exec'd this one handed on ({@link #option()}); none or a bad one: 1. */
    public static void inherit() {
        factor = handedOn(System.getProperty(PROPERTY));
    }

    static long handedOn(String value) {
        if (value == null) {
            return 1;
        }
        try {
            return Math.clamp(Long.parseLong(value.strip()), 1, MAX_FACTOR);
        } catch (NumberFormatException e) {
            return 1;
        }
    }

    static long factorFor(Duration startUp) {
        long slower = -Math.floorDiv(-startUp.toMillis(), TYPICAL_START_UP.toMillis()); // rounded up
        return Math.clamp(slower, 1, MAX_FACTOR);
    }
}
