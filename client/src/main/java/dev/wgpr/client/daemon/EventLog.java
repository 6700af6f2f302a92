package dev.wgpr.client.daemon;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;

/**
 * The daemon's deny events in memory: the last {@link #CAPACITY} of them, each numbered, so that
 * {@code wg-pr events} shows the recent ones and {@code --follow} clients wait for the next.
 */
final class EventLog {
    static final int CAPACITY = 10_000;

    private final Deque<Map<String, Object>> events = new ArrayDeque<>();
    private long next = 1;
    private long dropped;

    /** Appends an event; it gets the next sequence number ({@code "seq"}). */
    synchronized void add(Map<String, Object> event) {
        event.put("seq", next++);
        events.addLast(event);
        if (events.size() > CAPACITY) {
            events.removeFirst();
            dropped++;
        }
        notifyAll();
    }

    /** The events numbered above {@code seq}, oldest first. */
    synchronized List<Map<String, Object>> after(long seq) {
        List<Map<String, Object>> list = new ArrayList<>();
        for (Map<String, Object> event : events) {
            if ((Long) event.get("seq") > seq) {
                list.add(event);
            }
        }
        return list;
    }

    /** Waits up to {@code millis} for an event numbered above {@code seq}; returns those there are. */
    synchronized List<Map<String, Object>> await(long seq, long millis) throws InterruptedException {
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
}
