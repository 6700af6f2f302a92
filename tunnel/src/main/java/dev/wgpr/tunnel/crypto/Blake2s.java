package dev.wgpr.tunnel.crypto;

import java.util.Arrays;

/**
 * BLAKE2s (RFC 7693) as WireGuard uses it: {@code HASH} (BLAKE2s-256), {@code MAC} (keyed BLAKE2s with a
 * 16-byte output, for mac1, mac2 and cookies) and {@code HMAC} (RFC 2104 over BLAKE2s, for the KDF).
 */
public final class Blake2s {
    public static final int HASH_LENGTH = 32;
    public static final int MAC_LENGTH = 16;
    /** BLAKE2s takes keys of 1 to 32 bytes and gives 1 to 32 bytes of output. */
    public static final int MAX_KEY_LENGTH = 32;

    private Blake2s() {}

    /** {@code HASH(parts[0] || parts[1] || ...)}: unkeyed BLAKE2s-256 of the concatenation. */
    public static byte[] hash(byte[]... parts) {
        Blake2sEngine engine = new Blake2sEngine().start(HASH_LENGTH, null, 0);
        for (byte[] part : parts) {
            engine.update(part);
        }
        byte[] out = new byte[HASH_LENGTH];
        engine.finish(out, 0);
        return out;
    }

    /** {@code MAC(key, data)}: keyed BLAKE2s with a 16-byte output over {@code data[off, off+len)}. */
    public static byte[] mac(byte[] key, byte[] data, int off, int len) {
        return keyedHash(key, MAC_LENGTH, data, off, len);
    }

    /**
     * Keyed BLAKE2s (the key goes into the parameter block, RFC 7693 section 2.5), {@code outLength} bytes
     * of output.
     *
     * @throws IllegalArgumentException for a key that is empty or longer than 32 bytes, or an output length
     *     outside 1..32
     */
    public static byte[] keyedHash(byte[] key, int outLength, byte[] data, int off, int len) {
        if (key.length == 0 || key.length > MAX_KEY_LENGTH) {
            throw new IllegalArgumentException("a BLAKE2s key is 1 to 32 bytes, not " + key.length);
        }
        if (outLength < 1 || outLength > HASH_LENGTH) {
            throw new IllegalArgumentException("BLAKE2s gives 1 to 32 bytes, not " + outLength);
        }
        byte[] out = new byte[outLength];
        new Blake2sEngine()
                .start(outLength, key, key.length)
                .update(data, off, len)
                .finish(out, 0);
        return out;
    }

    /** {@code HMAC(key, parts[0] || parts[1] || ...)}: HMAC-BLAKE2s-256 (RFC 2104), any key length. */
    public static byte[] hmac(byte[] key, byte[]... parts) {
        byte[] pad = innerPad(key);
        Blake2sEngine engine = new Blake2sEngine().start(HASH_LENGTH, null, 0).update(pad);
        for (byte[] part : parts) {
            engine.update(part);
        }
        byte[] inner = new byte[HASH_LENGTH];
        engine.finish(inner, 0);
        toOuterPad(pad);
        byte[] out = new byte[HASH_LENGTH];
        engine.start(HASH_LENGTH, null, 0).update(pad).update(inner).finish(out, 0);
        Arrays.fill(pad, (byte) 0);
        Arrays.fill(inner, (byte) 0);
        return out;
    }

    /**
     * {@code HMAC(key, parts[0] || parts[1] || ...)} under a key whose pad blocks are compressed already: two
     * compressions fewer than {@link #hmac(byte[], byte[]...)} for the same result.
     */
    public static byte[] hmac(HmacKey key, byte[]... parts) {
        int length = 0;
        for (byte[] part : parts) {
            length += part.length;
        }
        if (length == 0) {
            return key.hmacOfNothing(); // the inner pad block is the inner hash's last block then
        }
        Blake2sEngine engine = new Blake2sEngine().resume(HASH_LENGTH, key.inner);
        for (byte[] part : parts) {
            engine.update(part);
        }
        byte[] inner = new byte[HASH_LENGTH];
        engine.finish(inner, 0);
        byte[] out = new byte[HASH_LENGTH];
        engine.resume(HASH_LENGTH, key.outer).update(inner).finish(out, 0);
        Arrays.fill(inner, (byte) 0);
        return out;
    }

    /** RFC 2104's inner pad block of {@code key}: the key (hashed first if longer than a block) XOR 0x36. */
    static byte[] innerPad(byte[] key) {
        byte[] pad = new byte[Blake2sEngine.BLOCK_LENGTH];
        byte[] shortKey = key.length > pad.length ? hash(key) : key;
        for (int i = 0; i < pad.length; i++) {
            pad[i] = (byte) ((i < shortKey.length ? shortKey[i] : 0) ^ 0x36);
        }
        return pad;
    }

    /** Turns an inner pad block into the outer one (key XOR 0x5c) in place. */
    static void toOuterPad(byte[] pad) {
        for (int i = 0; i < pad.length; i++) {
            pad[i] ^= 0x36 ^ 0x5c;
        }
    }
}
