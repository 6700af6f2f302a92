package dev.wgpr.tunnel.protocol;

import java.util.concurrent.TimeUnit;

/** WireGuard's protocol constants (whitepaper section 6.1 and the reference implementations). */
public final class Limits {
    private Limits() {}

    /** Send a new initiation once a keypair has sent this many messages. */
    public static final long REKEY_AFTER_MESSAGES = 1L << 60;

    /**
     * No keypair sends or accepts a counter at or beyond this (unsigned) value: 2^64 - 1 - 1984 - 1, as
     * the kernel implementation defines it, so the replay window never wraps.
     */
    public static final long REJECT_AFTER_MESSAGES = 0xFFFF_FFFF_FFFF_FFFFL - ReplayWindow.WINDOW_SIZE - 1;

    public static final long REKEY_AFTER_TIME_NANOS = TimeUnit.SECONDS.toNanos(120);
    public static final long REJECT_AFTER_TIME_NANOS = TimeUnit.SECONDS.toNanos(180);
    public static final long REKEY_ATTEMPT_TIME_NANOS = TimeUnit.SECONDS.toNanos(90);
    public static final long REKEY_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(5);
    public static final long KEEPALIVE_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(10);

    /** The responder's cookie secret lives this long. */
    public static final long COOKIE_SECRET_MAX_AGE_NANOS = TimeUnit.SECONDS.toNanos(120);

    /** An initiator stops using a received cookie this long before the responder's secret could change. */
    public static final long COOKIE_SECRET_LATENCY_NANOS = TimeUnit.SECONDS.toNanos(5);

    /** At most this many initiations per second are consumed from one peer. */
    public static final int INITIATIONS_PER_SECOND = 50;

    public static final long INITIATION_MIN_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1) / INITIATIONS_PER_SECOND;

    /** Plaintext of transport messages is padded to a multiple of this (capped at the MTU). */
    public static final int PADDING_MULTIPLE = 16;
}
