package dev.wgpr.client.dns;

import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * The UDP queries a forwarder has sent on and waits for, keyed by the ID it gave each: a fresh
 * unpredictable one per query (with the upstream socket's random port, what keeps an off-path forger
 * from guessing it), never one still waiting. At most {@code capacity} at once, so a flood costs a
 * bounded table and the excess is dropped.
 */
final class PendingQueries {
    private static final int ID_SPACE = 1 << 16;

    /** A query sent to {@code servers[attempt]} as {@code upstreamId}, to be answered by {@code deadlineNanos}. */
    record Pending(
            int upstreamId,
            DnsQuery query,
            InetSocketAddress client,
            DatagramSocket face,
            List<InetSocketAddress> servers,
            int attempt,
            long deadlineNanos) {
        InetSocketAddress server() {
            return servers.get(attempt);
        }

        boolean hasNextServer() {
            return attempt + 1 < servers.size();
        }
    }

    private final int capacity;
    private final RandomGenerator random;
    private final Map<Integer, Pending> byId = new HashMap<>();

    PendingQueries(int capacity) {
        this(capacity, new SecureRandom());
    }

    PendingQueries(int capacity, RandomGenerator random) {
        if (capacity <= 0 || capacity > ID_SPACE / 2) {
            throw new IllegalArgumentException("capacity " + capacity);
        }
        this.capacity = capacity;
        this.random = random;
    }

    /** Adds a query to {@code servers[attempt]} under a new ID; null when the table is full. */
    synchronized Pending add(
            DnsQuery query,
            InetSocketAddress client,
            DatagramSocket face,
            List<InetSocketAddress> servers,
            int attempt,
            long deadlineNanos) {
        if (byId.size() >= capacity) {
            return null;
        }
        int id;
        do { // at most half the ID space is taken, so this ends after two tries on average
            id = random.nextInt(ID_SPACE);
        } while (byId.containsKey(id));
        Pending pending = new Pending(id, query, client, face, List.copyOf(servers), attempt, deadlineNanos);
        byId.put(id, pending);
        return pending;
    }

    synchronized Pending get(int upstreamId) {
        return byId.get(upstreamId);
    }

    /** Takes {@code pending} out, unless an expiry or another answer took it first. */
    synchronized boolean remove(Pending pending) {
        return byId.remove(pending.upstreamId(), pending);
    }

    /** Takes out and returns every query whose deadline has passed at {@code nowNanos}. */
    synchronized List<Pending> expire(long nowNanos) {
        List<Pending> expired = new ArrayList<>();
        for (Iterator<Pending> it = byId.values().iterator(); it.hasNext(); ) {
            Pending pending = it.next();
            if (nowNanos - pending.deadlineNanos() >= 0) {
                expired.add(pending);
                it.remove();
            }
        }
        return expired;
    }

    synchronized int size() {
        return byId.size();
    }
}
