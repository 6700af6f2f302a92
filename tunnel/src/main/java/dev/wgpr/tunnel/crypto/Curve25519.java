package dev.wgpr.tunnel.crypto;

import java.security.SecureRandom;
import java.util.Optional;
import org.bouncycastle.math.ec.rfc7748.X25519;

/**
 * X25519 (RFC 7748) Diffie-Hellman, refusing the all-zero result that a low-order public key gives. The
 * shared secrets come from libsodium when it is installed (half the CPU time; see {@link Libsodium}),
 * otherwise from Bouncy Castle; public keys too (libsodium's Ed25519 fixed-base multiplication, see {@link
 * Libsodium#publicKey}).
 */
public final class Curve25519 {
    public static final int KEY_LENGTH = 32;

    private Curve25519() {}

    /** A new private key: 32 random bytes, clamped. */
    public static byte[] generatePrivateKey(SecureRandom random) {
        byte[] key = new byte[KEY_LENGTH];
        X25519.generatePrivateKey(random, key);
        return key;
    }

    public static byte[] publicKey(byte[] privateKey) {
        requireLength(privateKey);
        byte[] out = new byte[KEY_LENGTH];
        if (!Libsodium.available() || !Libsodium.publicKey(privateKey, out)) {
            X25519.scalarMultBase(privateKey, 0, out, 0);
        }
        return out;
    }

    /**
     * {@code DH(privateKey, publicKey)} into {@code out}.
     *
     * @return false, with {@code out} all zero, when the result is all zero: the public key is of low order
     *     and the exchange must be abandoned
     */
    public static boolean sharedSecret(byte[] privateKey, byte[] publicKey, byte[] out) {
        requireLength(privateKey);
        requireLength(publicKey);
        requireLength(out);
        return Libsodium.available()
                ? Libsodium.sharedSecret(privateKey, publicKey, out)
                : X25519.calculateAgreement(privateKey, 0, publicKey, 0, out, 0);
    }

    /** {@code DH(privateKey, publicKey)}, or empty when the result is all zero (a low-order public key). */
    public static Optional<byte[]> sharedSecret(byte[] privateKey, byte[] publicKey) {
        byte[] out = new byte[KEY_LENGTH];
        return sharedSecret(privateKey, publicKey, out) ? Optional.of(out) : Optional.empty();
    }

    private static void requireLength(byte[] key) {
        if (key.length != KEY_LENGTH) {
            throw new IllegalArgumentException("an X25519 key is 32 bytes, not " + key.length);
        }
    }
}
