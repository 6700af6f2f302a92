package dev.wgpr.tunnel.crypto;

import java.util.Arrays;

/**
 * WireGuard's {@code KDF_n(key, input)}: HKDF (RFC 5869) over HMAC-BLAKE2s with an empty info, giving n
 * 32-byte outputs. {@code τ0 = HMAC(key, input)}, {@code τ1 = HMAC(τ0, 0x1)}, {@code τi = HMAC(τ0, τ(i-1)
 * || i)}.
 */
public final class Kdf {
    private Kdf() {}

    public static byte[] kdf1(byte[] key, byte[] input) {
        return derive(key, input, 1)[0];
    }

    /** Two outputs, in order. */
    public static byte[][] kdf2(byte[] key, byte[] input) {
        return derive(key, input, 2);
    }

    /** Three outputs, in order. */
    public static byte[][] kdf3(byte[] key, byte[] input) {
        return derive(key, input, 3);
    }

    private static byte[][] derive(byte[] key, byte[] input, int count) {
        byte[] secret = Blake2s.hmac(key, input);
        byte[][] out = new byte[count][];
        byte[] previous = new byte[0];
        for (int i = 0; i < count; i++) {
            previous = Blake2s.hmac(secret, previous, new byte[] {(byte) (i + 1)});
            out[i] = previous;
        }
        Arrays.fill(secret, (byte) 0);
        return out;
    }
}
