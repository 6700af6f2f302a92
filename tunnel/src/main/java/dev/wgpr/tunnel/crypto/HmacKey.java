package dev.wgpr.tunnel.crypto;

import java.util.Arrays;

/**
 * An HMAC-BLAKE2s key made ready for several HMACs ({@link Blake2s#hmac(HmacKey, byte[]...)}): the BLAKE2s
 * states after its inner and after its outer pad block, so that an HMAC of a short message under it takes
 * two compressions instead of four. The KDF uses each of its τ0 keys two or three times, and the first KDF of
 * every handshake has the same constant key.
 */
public final class HmacKey {
    final int[] inner;
    final int[] outer;
    /** For the empty message, whose inner hash cannot start from {@link #inner}. */
    private final byte[] key;

    private HmacKey(byte[] key, int[] inner, int[] outer) {
        this.key = key;
        this.inner = inner;
        this.outer = outer;
    }

    /** {@code key} ready for HMACs; the key is copied. */
    public static HmacKey of(byte[] key) {
        byte[] pad = Blake2s.innerPad(key);
        Blake2sEngine engine = new Blake2sEngine();
        int[] inner = engine.start(Blake2s.HASH_LENGTH, null, 0).update(pad).chainingValue();
        Blake2s.toOuterPad(pad);
        int[] outer = engine.start(Blake2s.HASH_LENGTH, null, 0).update(pad).chainingValue();
        Arrays.fill(pad, (byte) 0);
        return new HmacKey(key.clone(), inner, outer);
    }

    byte[] hmacOfNothing() {
        return Blake2s.hmac(key);
    }

    /** Zeroes the key and its states; the key must not be used after. */
    public void clear() {
        Arrays.fill(key, (byte) 0);
        Arrays.fill(inner, 0);
        Arrays.fill(outer, 0);
    }
}
