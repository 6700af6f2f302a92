package dev.wgpr.common;

import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * What an accept loop does when {@code accept} fails (out of descriptors: {@code EMFILE}, {@code ENFILE};
 * out of memory): the waiting connection stays in the listen queue and the listener stays ready, so retrying
 * at once spins (a daemon at its descriptor limit logged a million lines). Instead the loop pauses, {@link
 * #FIRST_PAUSE_MILLIS} doubling up to {@link #LONGEST_PAUSE_MILLIS}; the log gets one line when an episode
 * of failures starts and one when an accept works again; the failures are counted. One accept thread uses
 * an instance; the counts may be read from any.
 */
public final class AcceptBackoff {
    public static final long FIRST_PAUSE_MILLIS = 10;
    public static final long LONGEST_PAUSE_MILLIS = 1000;

    private final String what;
    private final Consumer<String> log;
    private volatile long failures;
    private volatile long episodes;
    private long episodeFailures;
    private long episodeStart;
    private long pauseMillis;

    /** {@code what} names the listener in the log lines, e.g. "control socket". */
    public AcceptBackoff(String what, Consumer<String> log) {
        this.what = what;
        this.log = log;
    }

    /** Counts a failed accept; returns how long to wait before the next. */
    public long failed(Exception failure) {
        failures++;
        if (episodeFailures++ == 0) {
            episodes++;
            episodeStart = System.nanoTime();
            pauseMillis = FIRST_PAUSE_MILLIS;
            say(what + ": accept: " + failure.getMessage() + "; trying again in pauses of up to " + LONGEST_PAUSE_MILLIS
                    + " ms until it works");
        } else {
            pauseMillis = Math.min(pauseMillis * 2, LONGEST_PAUSE_MILLIS);
        }
        return pauseMillis;
    }

    /** An accept worked: ends the episode of failures, if there was one. */
    public void succeeded() {
        if (episodeFailures > 0) {
            say(what + ": accepting again after " + episodeFailures + " failed accepts in "
                    + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - episodeStart) + " ms");
            episodeFailures = 0;
        }
    }

    /** Failed accepts so far. */
    public long failures() {
        return failures;
    }

    /** Episodes of failed accepts so far (each logged once). */
    public long episodes() {
        return episodes;
    }

    private void say(String line) {
        try {
            log.accept(line);
        } catch (RuntimeException e) {
            // the log out of descriptors too: the count still tells
        }
    }
}
