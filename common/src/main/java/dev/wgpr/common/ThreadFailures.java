package dev.wgpr.common;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * What reached the root of a long-lived thread (a loop that must not end: timers, packet readers, the
 * daemon's control socket) though nothing was meant to: counted per thread for {@code status}, reported at
 * most once per {@link #REPORT_INTERVAL_NANOS} per thread so a loop failing on every turn cannot flood the
 * log, and followed by a short pause so it cannot spin either. The thread goes on.
 *
 * <p>Why catch {@link Error} too: a process out of descriptors fails in places that throw errors (a class
 * or a native symbol loaded on first use), and a timer thread that died of one stopped a tunnel's
 * keepalives silently. Reporting never throws, whatever the logger does.
 */
public final class ThreadFailures {
    static final long REPORT_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);
    static final long PAUSE_MILLIS = 50;

    private final Consumer<String> log;
    private final LongSupplier nanoTime;
    private final Map<String, Counter> byThread = new ConcurrentHashMap<>();

    /** {@code log} gets one line per report. */
    public ThreadFailures(Consumer<String> log) {
        this(log, System::nanoTime);
    }

    /** With {@code nanoTime} as the clock of the reports (tests pass their own). */
    ThreadFailures(Consumer<String> log, LongSupplier nanoTime) {
        this.log = log;
        this.nanoTime = nanoTime;
    }

    private static final class Counter {
        final AtomicLong total = new AtomicLong();
        final AtomicLong unreported = new AtomicLong();
        volatile long lastReport;
        volatile boolean reported;
    }

    /** Counts {@code failure} of the calling thread, reports it unless reported a moment ago, and pauses. */
    public void survive(Throwable failure) {
        String thread = Thread.currentThread().getName();
        Counter counter = byThread.computeIfAbsent(thread, t -> new Counter());
        long total = counter.total.incrementAndGet();
        counter.unreported.incrementAndGet();
        long now = nanoTime.getAsLong();
        if (!counter.reported || now - counter.lastReport >= REPORT_INTERVAL_NANOS) {
            counter.reported = true;
            counter.lastReport = now;
            long since = counter.unreported.getAndSet(0);
            try {
                log.accept(thread + " survived " + failure + " (" + total + " so far"
                        + (since > 1 ? ", " + (since - 1) + " since the last report" : "") + "); it goes on"
                        + (total == 1 ? "\n" + stackTrace(failure) : ""));
            } catch (Throwable ignored) {
                // the log failing too must not end the thread that reports
            }
        }
        try {
            Thread.sleep(PAUSE_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the loop sees it and ends as it would have
        }
    }

    private static String stackTrace(Throwable failure) {
        StringWriter trace = new StringWriter();
        failure.printStackTrace(new PrintWriter(trace));
        return trace.toString().strip();
    }

    /** The failures counted so far, by thread name, sorted; empty while there were none. */
    public Map<String, Long> counts() {
        Map<String, Long> counts = new TreeMap<>();
        byThread.forEach((thread, counter) -> counts.put(thread, counter.total.get()));
        return counts;
    }

    /** Every failure counted so far. */
    public long total() {
        return byThread.values().stream().mapToLong(c -> c.total.get()).sum();
    }
}
