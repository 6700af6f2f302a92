package dev.wgpr.tunnel.crypto;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import org.bouncycastle.math.ec.rfc7748.X25519;

/**
 * A 32-byte WireGuard key (private, public or preshared), written as 44 characters of standard
 * base64 exactly as {@code wg} writes and accepts them.
 */
public final class Key {
    public static final int LENGTH = 32;
    public static final int BASE64_LENGTH = 44;

    /**
     * Made on first use: a SecureRandom loads the security providers (some 10 ms), which reading a
     * config's keys ({@code wg-pr check}) does not need.
     */
    private static final class Random {
        static final SecureRandom RANDOM = new SecureRandom();
    }

    private final byte[] bytes;

    private Key(byte[] bytes) {
        this.bytes = bytes;
    }

    public static Key fromBytes(byte[] bytes) {
        if (bytes.length != LENGTH) {
            throw new IllegalArgumentException("a key is " + LENGTH + " bytes, not " + bytes.length);
        }
        return new Key(bytes.clone());
    }

    /**
     * Parses a key as {@code wg} does: exactly 44 characters of canonical base64 ending in one
     * {@code =}.
     *
     * @throws IllegalArgumentException if the text is not such a key
     */
    public static Key fromBase64(String base64) {
        if (base64.length() != BASE64_LENGTH || base64.charAt(BASE64_LENGTH - 1) != '=') {
            throw new IllegalArgumentException(
                    "a key is 44 characters of base64 ending in '=', got " + base64.length() + " characters");
        }
        byte[] decoded;
        try {
            decoded = Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not valid base64", e);
        }
        Key key = new Key(decoded);
        // Java ignores the unused low bits of the last character; wg refuses them, and so do we.
        if (!key.toBase64().equals(base64)) {
            throw new IllegalArgumentException("not canonical base64 (the last character before '=' is off)");
        }
        return key;
    }

    /** A new private key: 32 random bytes clamped for Curve25519, as {@code wg genkey} makes them. */
    public static Key generatePrivate() {
        byte[] secret = new byte[LENGTH];
        Random.RANDOM.nextBytes(secret);
        secret[0] &= (byte) 248;
        secret[31] = (byte) ((secret[31] & 127) | 64);
        return new Key(secret);
    }

    /** A new preshared key: 32 random bytes, as {@code wg genpsk} makes them. */
    public static Key generatePreshared() {
        byte[] secret = new byte[LENGTH];
        Random.RANDOM.nextBytes(secret);
        return new Key(secret);
    }

    /** The Curve25519 public key of this private key (clamping it first, as X25519 does). */
    public Key publicKey() {
        byte[] publicKey = new byte[LENGTH];
        X25519.scalarMultBase(bytes, 0, publicKey, 0);
        return new Key(publicKey);
    }

    /** This key with Curve25519 clamping applied, as wireguard-go stores a private key (so {@code wg show} shows it). */
    public Key clamped() {
        byte[] clamped = bytes.clone();
        clamped[0] &= (byte) 248;
        clamped[31] = (byte) ((clamped[31] & 127) | 64);
        return new Key(clamped);
    }

    public byte[] toBytes() {
        return bytes.clone();
    }

    public String toBase64() {
        return Base64.getEncoder().encodeToString(bytes);
    }

    public boolean isZero() {
        return MessageDigest.isEqual(bytes, new byte[LENGTH]);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Key key && MessageDigest.isEqual(bytes, key.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    /** Never the key itself: keys end up in logs by accident otherwise. */
    @Override
    public String toString() {
        return "Key[redacted]";
    }
}
