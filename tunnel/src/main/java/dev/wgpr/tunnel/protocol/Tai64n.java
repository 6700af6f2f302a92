package dev.wgpr.tunnel.protocol;

import java.time.Instant;
import java.util.Arrays;

/**
 * TAI64N timestamps as WireGuard writes them in initiations: 8 bytes big-endian of {@code 2^62 + 10 + unix
 * seconds} then 4 bytes big-endian of nanoseconds, rounded down to 2^24 ns (about 16.8 ms, the largest power
 * of two below 1 s / 50) so a timestamp says little about the sender's clock and two initiations within one
 * step carry the same timestamp (the second is refused as a replay).
 */
final class Tai64n {
    static final int LENGTH = 12;
    private static final long BASE = 0x400000000000000aL;
    private static final int NANOS_MASK = ~((1 << 24) - 1);

    private Tai64n() {}

    static byte[] encode(Instant time) {
        long seconds = BASE + time.getEpochSecond();
        int nanos = time.getNano() & NANOS_MASK;
        byte[] out = new byte[LENGTH];
        for (int i = 0; i < 8; i++) {
            out[i] = (byte) (seconds >>> (56 - 8 * i));
        }
        for (int i = 0; i < 4; i++) {
            out[8 + i] = (byte) (nanos >>> (24 - 8 * i));
        }
        return out;
    }

    /** Whether {@code a} is strictly later than {@code b} (big-endian, so byte order is time order). */
    static boolean isAfter(byte[] a, byte[] b) {
        return Arrays.compareUnsigned(a, b) > 0;
    }
}
