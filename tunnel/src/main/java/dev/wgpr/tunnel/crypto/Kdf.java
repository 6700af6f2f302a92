package dev.wgpr.tunnel.crypto;

import java.util.Arrays;

/**
 * WireGuard's {@code KDF_n(key, input)}: HKDF (RFC 5869) over HMAC-BLAKE2s with an empty info, giving n
 * 32-byte outputs. {@code τ0 = HMAC(key, input)}, {@code τ1 = HMAC(τ0, 0x1)}, {@code τi = HMAC(τ0, τ(i-1)
 * || i)}. τ0's pad blocks are compressed once for all n outputs ({@link HmacKey}).
 */
public final class Kdf {
    private Kdf() {}

    public static byte[] kdf1(byte[] key, byte[] input) {
        return expand(Blake2s.hmac(key, input), 1)[0];
    }

    /** {@link #kdf1(byte[], byte[])} under a key used for many derivations (a constant one). */
    public static byte[] kdf1(HmacKey key, byte[] input) {
        return expand(Blake2s.hmac(key, input), 1)[0];
    }

    /** Two outputs, in order. */
    public static byte[][] kdf2(byte[] key, byte[] input) {
        return expand(Blake2s.hmac(key, input), 2);
    }

    /** Three outputs, in order. */
    public static byte[][] kdf3(byte[] key, byte[] input) {
        return expand(Blake2s.hmac(key, input), 3);
    }

    /** The outputs τ1 ... τcount from τ0 ({@code secret}, zeroed here). */
    private static byte[][] expand(byte[] secret, int count) {
        HmacKey chain = HmacKey.of(secret);
        Arrays.fill(secret, (byte) 0);
        byte[][] out = new byte[count][];
        byte[] previous = new byte[0];
        for (int i = 0; i < count; i++) {
            previous = Blake2s.hmac(chain, previous, new byte[] {(byte) (i + 1)});
            out[i] = previous;
        }
        chain.clear();
        return out;
    }
}
