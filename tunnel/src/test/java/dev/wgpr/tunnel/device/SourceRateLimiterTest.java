package dev.wgpr.tunnel.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SourceRateLimiterTest {
    static final InetAddress A = InetAddress.ofLiteral("192.0.2.1");
    static final InetAddress B = InetAddress.ofLiteral("2001:db8::1");
    final SourceRateLimiter limiter = new SourceRateLimiter();

    @Test
    void allowsABurstThenTwentyASecondPerSource() {
        long now = 1_000_000_000L;
        for (int i = 0; i < SourceRateLimiter.BURST; i++) {
            assertTrue(limiter.allow(A, now), "burst message " + i);
        }
        assertFalse(limiter.allow(A, now), "beyond the burst");
        assertTrue(limiter.allow(B, now), "another source has its own bucket");
        long second = TimeUnit.SECONDS.toNanos(1);
        int allowed = 0;
        for (int ms = 1; ms <= 1000; ms++) {
            if (limiter.allow(A, now + TimeUnit.MILLISECONDS.toNanos(ms))) {
                allowed++;
            }
        }
        assertEquals(SourceRateLimiter.PER_SECOND, allowed, "one second of steady flooding");
        assertFalse(limiter.allow(A, now + second));
    }

    @Test
    void forgetsIdleSources() {
        limiter.allow(A, 0);
        limiter.allow(B, TimeUnit.MILLISECONDS.toNanos(900));
        limiter.sweep(TimeUnit.MILLISECONDS.toNanos(1500));
        assertEquals(1, limiter.size(), "A idle for 1.5 s is gone, B is kept");
    }
}
