package dev.wgpr.tunnel.crypto;

import java.util.Arrays;
import java.util.Optional;

/**
 * {@code XAEAD(key, nonce, plaintext, ad)}: XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha) with a 24-byte
 * nonce, for cookie replies. HChaCha20 turns the key and the first 16 nonce bytes into a subkey; the JDK's
 * ChaCha20-Poly1305 then runs under that subkey with the nonce {@code 0^32 || nonce[16..24)}.
 */
public final class XChaChaPoly {
    public static final int NONCE_LENGTH = 24;
    public static final int HCHACHA_NONCE_LENGTH = 16;

    private static final int[] SIGMA = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574}; // "expand 32-byte k"

    private XChaChaPoly() {}

    public static byte[] seal(byte[] key, byte[] nonce, byte[] plaintext, byte[] ad) {
        byte[] subkey = subkey(key, nonce);
        try {
            return ChaChaPoly.seal(subkey, chachaNonce(nonce), plaintext, ad);
        } finally {
            Arrays.fill(subkey, (byte) 0);
        }
    }

    /** The plaintext, or empty when the tag does not verify. */
    public static Optional<byte[]> open(byte[] key, byte[] nonce, byte[] ciphertext, byte[] ad) {
        byte[] subkey = subkey(key, nonce);
        try {
            return ChaChaPoly.open(subkey, chachaNonce(nonce), ciphertext, ad);
        } finally {
            Arrays.fill(subkey, (byte) 0);
        }
    }

    /**
     * HChaCha20 (draft-irtf-cfrg-xchacha section 2.2): the ChaCha20 state of constants, key and the 16-byte
     * input, 20 rounds, and words 0-3 and 12-15 of the result (no final addition) as the 32-byte subkey.
     */
    public static byte[] hChaCha20(byte[] key, byte[] input) {
        if (key.length != ChaChaPoly.KEY_LENGTH || input.length != HCHACHA_NONCE_LENGTH) {
            throw new IllegalArgumentException("HChaCha20 takes a 32-byte key and a 16-byte input");
        }
        int[] x = new int[16];
        System.arraycopy(SIGMA, 0, x, 0, 4);
        for (int i = 0; i < 8; i++) {
            x[4 + i] = littleEndianInt(key, 4 * i);
        }
        for (int i = 0; i < 4; i++) {
            x[12 + i] = littleEndianInt(input, 4 * i);
        }
        for (int doubleRound = 0; doubleRound < 10; doubleRound++) {
            quarterRound(x, 0, 4, 8, 12);
            quarterRound(x, 1, 5, 9, 13);
            quarterRound(x, 2, 6, 10, 14);
            quarterRound(x, 3, 7, 11, 15);
            quarterRound(x, 0, 5, 10, 15);
            quarterRound(x, 1, 6, 11, 12);
            quarterRound(x, 2, 7, 8, 13);
            quarterRound(x, 3, 4, 9, 14);
        }
        byte[] out = new byte[32];
        for (int i = 0; i < 4; i++) {
            putLittleEndianInt(out, 4 * i, x[i]);
            putLittleEndianInt(out, 16 + 4 * i, x[12 + i]);
        }
        Arrays.fill(x, 0);
        return out;
    }

    private static byte[] subkey(byte[] key, byte[] nonce) {
        if (nonce.length != NONCE_LENGTH) {
            throw new IllegalArgumentException("an XChaCha20 nonce is 24 bytes, not " + nonce.length);
        }
        return hChaCha20(key, Arrays.copyOf(nonce, HCHACHA_NONCE_LENGTH));
    }

    private static byte[] chachaNonce(byte[] nonce) {
        byte[] out = new byte[ChaChaPoly.NONCE_LENGTH];
        System.arraycopy(nonce, HCHACHA_NONCE_LENGTH, out, 4, 8);
        return out;
    }

    private static void quarterRound(int[] x, int a, int b, int c, int d) {
        x[a] += x[b];
        x[d] = Integer.rotateLeft(x[d] ^ x[a], 16);
        x[c] += x[d];
        x[b] = Integer.rotateLeft(x[b] ^ x[c], 12);
        x[a] += x[b];
        x[d] = Integer.rotateLeft(x[d] ^ x[a], 8);
        x[c] += x[d];
        x[b] = Integer.rotateLeft(x[b] ^ x[c], 7);
    }

    private static int littleEndianInt(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8 | (b[off + 2] & 0xff) << 16 | (b[off + 3] & 0xff) << 24;
    }

    private static void putLittleEndianInt(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
        b[off + 2] = (byte) (v >>> 16);
        b[off + 3] = (byte) (v >>> 24);
    }
}
