package dev.wgpr.client.daemon;

import dev.wgpr.client.control.DeniedAttempt;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The daemon's deny events in memory: the last {@link #CAPACITY} of them, each numbered, so that
 * {@code wg-pr events} shows the recent ones and {@code --follow} clients wait for the next.
 *
 * <p>Rate-limited per source, so that a flood cannot push a real probe's first events out of the log: a
 * source is a (direction, uid, app, destination or, inbound, the remote source, port, protocol, hook):
 * one kind of attempt, so that a probe of many ports or ways is told whole while a repeated one is
 * summarised; in each {@link
 * #WINDOW_NANOS} from its first event, the first {@link #FIRST_PER_SOURCE} of its events are logged whole,
 * the rest only counted, and when its window ends one summary event (the last one suppressed, with {@code
 * "suppressed": N}) says how many. A principal (direction, uid, app) opens at most {@link
 * #NEW_SOURCES_PER_PRINCIPAL} sources per window (a flood over many addresses or ports is summarised the
 * same way, {@code "like": "more addresses"}). So one user's flood takes at most about
 * {@code 100 × 5} entries a minute, and every other user's first events stay in the log.
 */
final class EventLog {
    static final int CAPACITY = 10_000;
    static final int FIRST_PER_SOURCE = 5;
    static final int NEW_SOURCES_PER_PRINCIPAL = 100;
    static final long WINDOW_NANOS = TimeUnit.SECONDS.toNanos(60);

    /** One (uid, app, destination), or one (uid, app) for its sources beyond the limit, in its window. */
    private static final class Source {
        final long windowStart;
        final String like;
        int kept;
        long suppressed;
        DeniedAttempt lastSuppressed;

        Source(long windowStart, String like) {
            this.windowStart = windowStart;
            this.like = like;
        }
    }

    private final LongSupplier nanoTime;
    private final Deque<DeniedAttempt> events = new ArrayDeque<>();
    /** By key, in the order their windows started (so also ended). */
    private final Map<String, Source> sources = new LinkedHashMap<>();
    /** Sources opened per principal in its current window; the value's window starts at its first source. */
    private final Map<String, Source> principals = new LinkedHashMap<>();

    private long next = 1;
    private long dropped;
    private long suppressed;

    EventLog() {
        this(System::nanoTime);
    }

    /** With {@code nanoTime} as the clock of the windows (tests pass their own). */
    EventLog(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
    }

    /**
     * Logs an event (it gets the next sequence number) unless its source has had its share
     * of this window; then it is counted for the source's summary.
     */
    synchronized void add(DeniedAttempt event) {
        long now = nanoTime.getAsLong();
        endWindows(now);
        // Outbound events name a destination, inbound ones the source they came from.
        String principal = event.direction() + "/" + event.uid() + "/" + event.app();
        String key = String.join(
                "/",
                principal,
                event.destination(),
                event.source(),
                String.valueOf(event.port()),
                String.valueOf(event.localPort()),
                event.protocol(),
                event.hook());
        Source source = sources.get(key);
        if (source == null) {
            Source opened = principals.computeIfAbsent(principal, p -> new Source(now, "more addresses"));
            if (opened.kept >= NEW_SOURCES_PER_PRINCIPAL) {
                suppress(opened, event);
                return;
            }
            opened.kept++;
            source = new Source(now, "same uid, app, address, port, protocol and hook");
            sources.put(key, source);
        }
        if (source.kept >= FIRST_PER_SOURCE) {
            suppress(source, event);
            return;
        }
        source.kept++;
        append(event);
    }

    /** Ends the windows that are over (their summaries go into the log); the drainer calls it each turn. */
    synchronized void endWindows() {
        endWindows(nanoTime.getAsLong());
    }

    private void endWindows(long now) {
        endWindows(sources, now);
        endWindows(principals, now);
    }

    private void endWindows(Map<String, Source> windows, long now) {
        Iterator<Source> it = windows.values().iterator();
        while (it.hasNext()) {
            Source source = it.next();
            if (now - source.windowStart < WINDOW_NANOS) {
                return; // the later ones started later
            }
            it.remove();
            if (source.suppressed > 0) {
                append(source.lastSuppressed.summarising(source.suppressed, source.like));
            }
        }
    }

    private void suppress(Source source, DeniedAttempt event) {
        source.suppressed++;
        source.lastSuppressed = event;
        suppressed++;
    }

    private void append(DeniedAttempt event) {
        events.addLast(event.numbered(next++));
        if (events.size() > CAPACITY) {
            events.removeFirst();
            dropped++;
        }
        notifyAll();
    }

    /** The events numbered above {@code seq}, oldest first. */
    synchronized List<DeniedAttempt> after(long seq) {
        List<DeniedAttempt> list = new ArrayList<>();
        for (DeniedAttempt event : events) {
            if (event.seq() > seq) {
                list.add(event);
            }
        }
        return list;
    }

    /** Waits up to {@code millis} for an event numbered above {@code seq}; returns those there are. */
    synchronized List<DeniedAttempt> await(long seq, long millis) throws InterruptedException {
        if (next - 1 <= seq) {
            wait(millis);
        }
        return after(seq);
    }

    /** The number of the latest event, 0 before the first. */
    synchronized long latest() {
        return next - 1;
    }

    /** Events pushed out of the log by newer ones. */
    synchronized long dropped() {
        return dropped;
    }

    /** Events not logged whole because their source had its share (each counted in a summary). */
    synchronized long suppressed() {
        return suppressed;
    }
}
