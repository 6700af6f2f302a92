package dev.wgpr.tunnel.device;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Handshake messages per source address while under load, as wireguard-go's rate limiter: a token bucket
 * per IP address, {@link #PER_SECOND} a second with bursts of {@link #BURST}. It keeps one flooding host
 * from taking all of the handshake workers' time, and bounds the cookie replies it can make us send. The
 * table is bounded: beyond {@link #MAX_SOURCES} addresses (a spoofed flood), new ones are refused until
 * {@link #sweep} forgets idle ones.
 */
final class SourceRateLimiter {
    static final int PER_SECOND = 20;
    static final int BURST = 5;
    static final int MAX_SOURCES = 1 << 16;
    private static final long TOKEN_NANOS = TimeUnit.SECONDS.toNanos(1) / PER_SECOND;
    private static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private static final class Bucket {
        long tokensNanos; // tokens, in nanoseconds of refill time
        long last;
    }

    private final ConcurrentHashMap<InetAddress, Bucket> buckets = new ConcurrentHashMap<>();

    /** Whether one more message from {@code source} at time {@code now} may be processed. */
    boolean allow(InetAddress source, long now) {
        Bucket bucket = buckets.get(source);
        if (bucket == null) {
            if (buckets.size() >= MAX_SOURCES) {
                return false;
            }
            bucket = buckets.computeIfAbsent(source, s -> {
                Bucket fresh = new Bucket();
                fresh.tokensNanos = BURST * TOKEN_NANOS;
                fresh.last = now;
                return fresh;
            });
        }
        synchronized (bucket) {
            bucket.tokensNanos = Math.min(BURST * TOKEN_NANOS, bucket.tokensNanos + (now - bucket.last));
            bucket.last = now;
            if (bucket.tokensNanos < TOKEN_NANOS) {
                return false;
            }
            bucket.tokensNanos -= TOKEN_NANOS;
            return true;
        }
    }

    /** Forgets sources not heard from for a second (their buckets would be full again anyway). */
    void sweep(long now) {
        buckets.values().removeIf(bucket -> {
            synchronized (bucket) {
                return now - bucket.last > IDLE_NANOS;
            }
        });
    }

    int size() {
        return buckets.size();
    }
}
