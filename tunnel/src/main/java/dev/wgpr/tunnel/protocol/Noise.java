package dev.wgpr.tunnel.protocol;

import dev.wgpr.tunnel.crypto.Blake2s;
import dev.wgpr.tunnel.crypto.HmacKey;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** The constants of WireGuard's Noise_IKpsk2 instance (whitepaper section 5.4) and small helpers. */
final class Noise {
    static final byte[] CONSTRUCTION = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s".getBytes(StandardCharsets.US_ASCII);
    static final byte[] IDENTIFIER = "WireGuard v1 zx2c4 Jason@zx2c4.com".getBytes(StandardCharsets.US_ASCII);
    static final byte[] LABEL_MAC1 = "mac1----".getBytes(StandardCharsets.US_ASCII);
    static final byte[] LABEL_COOKIE = "cookie--".getBytes(StandardCharsets.US_ASCII);

    /** {@code Ci = HASH(Construction)}. Never mutate: clone before use as state. */
    static final byte[] INITIAL_CHAINING_KEY = Blake2s.hash(CONSTRUCTION);

    /** {@link #INITIAL_CHAINING_KEY} as the key of every handshake's first KDF. */
    static final HmacKey INITIAL_CHAINING_HMAC_KEY = HmacKey.of(INITIAL_CHAINING_KEY);

    /** {@code Hi = HASH(Ci || Identifier)}. Never mutate: clone before use as state. */
    static final byte[] INITIAL_HASH = Blake2s.hash(INITIAL_CHAINING_KEY, IDENTIFIER);

    static final byte[] EMPTY = new byte[0];

    private Noise() {}

    /** {@code HASH(Hi || responderStatic)}, where both sides' transcripts start. */
    static byte[] initialHash(byte[] responderStatic) {
        return Blake2s.hash(INITIAL_HASH, responderStatic);
    }

    static void zero(byte[]... secrets) {
        for (byte[] secret : secrets) {
            if (secret != null) {
                Arrays.fill(secret, (byte) 0);
            }
        }
    }
}
