package dev.wgpr.tunnel.crypto;

import org.bouncycastle.crypto.digests.Blake2sDigest;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.params.KeyParameter;

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
        Blake2sDigest digest = new Blake2sDigest(HASH_LENGTH * 8);
        for (byte[] part : parts) {
            digest.update(part, 0, part.length);
        }
        byte[] out = new byte[HASH_LENGTH];
        digest.doFinal(out, 0);
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
        Blake2sDigest digest = new Blake2sDigest(key, outLength, null, null);
        digest.update(data, off, len);
        byte[] out = new byte[outLength];
        digest.doFinal(out, 0);
        digest.clearKey();
        return out;
    }

    /** {@code HMAC(key, parts[0] || parts[1] || ...)}: HMAC-BLAKE2s-256, any key length. */
    public static byte[] hmac(byte[] key, byte[]... parts) {
        HMac hmac = new HMac(new Blake2sDigest(HASH_LENGTH * 8));
        hmac.init(new KeyParameter(key));
        for (byte[] part : parts) {
            hmac.update(part, 0, part.length);
        }
        byte[] out = new byte[HASH_LENGTH];
        hmac.doFinal(out, 0);
        return out;
    }
}
