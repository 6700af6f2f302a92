package dev.wgpr.tunnel.crypto;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One BLAKE2s computation (RFC 7693), sequential mode only, as {@link Blake2s} needs it. Ours rather than
 * Bouncy Castle's digest: a handshake runs about a hundred BLAKE2s compressions through HMAC and the KDF, and
 * Bouncy Castle's digest checks its service constraints and allocates its buffers per instance, while this
 * one is a few arrays and a compression over them.
 */
final class Blake2sEngine {
    static final int BLOCK_LENGTH = 64;

    private static final int[] IV = {
        0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19
    };

    /** The message word order of each of the ten rounds (RFC 7693 section 2.7). */
    private static final byte[] SIGMA = {
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
        14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3,
        11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4,
        7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8,
        9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13,
        2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9,
        12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11,
        13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10,
        6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5,
        10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0,
    };

    private static final VarHandle LITTLE_ENDIAN_INT =
            MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private final int[] h = new int[8];
    private final int[] m = new int[16];
    /**
     * Input not compressed yet: a full block stays here until more input comes, since the last block is
     * compressed differently.
     */
    private final byte[] block = new byte[BLOCK_LENGTH];

    private int buffered;
    private long counter;
    private int outLength;

    /**
     * Starts over: {@code outLength} bytes of output (1 to 32), keyed with {@code key[0, keyLength)} (0 for
     * none, else 1 to 32 bytes). The caller checks the lengths.
     */
    Blake2sEngine start(int outLength, byte[] key, int keyLength) {
        System.arraycopy(IV, 0, h, 0, 8);
        h[0] ^= 0x01010000 ^ (keyLength << 8) ^ outLength;
        this.outLength = outLength;
        counter = 0;
        Arrays.fill(block, (byte) 0);
        buffered = 0;
        if (keyLength > 0) {
            System.arraycopy(key, 0, block, 0, keyLength); // the key, zero-padded, is the first block
            buffered = BLOCK_LENGTH;
        }
        return this;
    }

    /**
     * Starts over from {@code chainingValue}, the state {@link #chainingValue} gave after the first block of a
     * computation of {@code outLength} bytes (unkeyed): the message that follows must not be empty, as the
     * first block was not compressed as a last one.
     */
    Blake2sEngine resume(int outLength, int[] chainingValue) {
        System.arraycopy(chainingValue, 0, h, 0, 8);
        this.outLength = outLength;
        counter = BLOCK_LENGTH;
        buffered = 0;
        return this;
    }

    /**
     * Compresses the one full block taken since {@link #start} as a block that more input follows, and gives
     * the state after it, for {@link #resume}.
     */
    int[] chainingValue() {
        if (counter != 0 || buffered != BLOCK_LENGTH) {
            throw new IllegalStateException("a chaining value is taken after exactly one block");
        }
        counter = BLOCK_LENGTH;
        compress(false);
        buffered = 0;
        return h.clone();
    }

    Blake2sEngine update(byte[] in, int off, int len) {
        while (len > 0) {
            if (buffered == BLOCK_LENGTH) {
                counter += BLOCK_LENGTH;
                compress(false);
                buffered = 0;
            }
            int n = Math.min(BLOCK_LENGTH - buffered, len);
            System.arraycopy(in, off, block, buffered, n);
            buffered += n;
            off += n;
            len -= n;
        }
        return this;
    }

    Blake2sEngine update(byte[] in) {
        return update(in, 0, in.length);
    }

    /** Writes the output ({@code outLength} bytes) to {@code out[off...]} and zeroes the state. */
    void finish(byte[] out, int off) {
        counter += buffered;
        Arrays.fill(block, buffered, BLOCK_LENGTH, (byte) 0);
        compress(true);
        for (int i = 0; i < outLength; i++) {
            out[off + i] = (byte) (h[i >>> 2] >>> (8 * (i & 3)));
        }
        Arrays.fill(h, 0);
        Arrays.fill(m, 0);
        Arrays.fill(block, (byte) 0);
    }

    /**
     * The compression function F (RFC 7693 section 3.2). The working vector is sixteen locals, not an array,
     * and the eight G applications of a round are written out on them, so that the JIT keeps the vector in
     * registers; in G form with an array it took about twice as long.
     */
    private void compress(boolean last) {
        for (int i = 0; i < 16; i++) {
            m[i] = (int) LITTLE_ENDIAN_INT.get(block, 4 * i);
        }
        int v0 = h[0], v1 = h[1], v2 = h[2], v3 = h[3], v4 = h[4], v5 = h[5], v6 = h[6], v7 = h[7];
        int v8 = IV[0], v9 = IV[1], v10 = IV[2], v11 = IV[3];
        int v12 = IV[4] ^ (int) counter, v13 = IV[5] ^ (int) (counter >>> 32);
        int v14 = last ? ~IV[6] : IV[6], v15 = IV[7];
        for (int s = 0; s < SIGMA.length; s += 16) {
            v0 += v4 + m[SIGMA[s]];
            v12 = Integer.rotateRight(v12 ^ v0, 16);
            v8 += v12;
            v4 = Integer.rotateRight(v4 ^ v8, 12);
            v0 += v4 + m[SIGMA[s + 1]];
            v12 = Integer.rotateRight(v12 ^ v0, 8);
            v8 += v12;
            v4 = Integer.rotateRight(v4 ^ v8, 7);
            v1 += v5 + m[SIGMA[s + 2]];
            v13 = Integer.rotateRight(v13 ^ v1, 16);
            v9 += v13;
            v5 = Integer.rotateRight(v5 ^ v9, 12);
            v1 += v5 + m[SIGMA[s + 3]];
            v13 = Integer.rotateRight(v13 ^ v1, 8);
            v9 += v13;
            v5 = Integer.rotateRight(v5 ^ v9, 7);
            v2 += v6 + m[SIGMA[s + 4]];
            v14 = Integer.rotateRight(v14 ^ v2, 16);
            v10 += v14;
            v6 = Integer.rotateRight(v6 ^ v10, 12);
            v2 += v6 + m[SIGMA[s + 5]];
            v14 = Integer.rotateRight(v14 ^ v2, 8);
            v10 += v14;
            v6 = Integer.rotateRight(v6 ^ v10, 7);
            v3 += v7 + m[SIGMA[s + 6]];
            v15 = Integer.rotateRight(v15 ^ v3, 16);
            v11 += v15;
            v7 = Integer.rotateRight(v7 ^ v11, 12);
            v3 += v7 + m[SIGMA[s + 7]];
            v15 = Integer.rotateRight(v15 ^ v3, 8);
            v11 += v15;
            v7 = Integer.rotateRight(v7 ^ v11, 7);
            v0 += v5 + m[SIGMA[s + 8]];
            v15 = Integer.rotateRight(v15 ^ v0, 16);
            v10 += v15;
            v5 = Integer.rotateRight(v5 ^ v10, 12);
            v0 += v5 + m[SIGMA[s + 9]];
            v15 = Integer.rotateRight(v15 ^ v0, 8);
            v10 += v15;
            v5 = Integer.rotateRight(v5 ^ v10, 7);
            v1 += v6 + m[SIGMA[s + 10]];
            v12 = Integer.rotateRight(v12 ^ v1, 16);
            v11 += v12;
            v6 = Integer.rotateRight(v6 ^ v11, 12);
            v1 += v6 + m[SIGMA[s + 11]];
            v12 = Integer.rotateRight(v12 ^ v1, 8);
            v11 += v12;
            v6 = Integer.rotateRight(v6 ^ v11, 7);
            v2 += v7 + m[SIGMA[s + 12]];
            v13 = Integer.rotateRight(v13 ^ v2, 16);
            v8 += v13;
            v7 = Integer.rotateRight(v7 ^ v8, 12);
            v2 += v7 + m[SIGMA[s + 13]];
            v13 = Integer.rotateRight(v13 ^ v2, 8);
            v8 += v13;
            v7 = Integer.rotateRight(v7 ^ v8, 7);
            v3 += v4 + m[SIGMA[s + 14]];
            v14 = Integer.rotateRight(v14 ^ v3, 16);
            v9 += v14;
            v4 = Integer.rotateRight(v4 ^ v9, 12);
            v3 += v4 + m[SIGMA[s + 15]];
            v14 = Integer.rotateRight(v14 ^ v3, 8);
            v9 += v14;
            v4 = Integer.rotateRight(v4 ^ v9, 7);
        }
        h[0] ^= v0 ^ v8;
        h[1] ^= v1 ^ v9;
        h[2] ^= v2 ^ v10;
        h[3] ^= v3 ^ v11;
        h[4] ^= v4 ^ v12;
        h[5] ^= v5 ^ v13;
        h[6] ^= v6 ^ v14;
        h[7] ^= v7 ^ v15;
    }
}
