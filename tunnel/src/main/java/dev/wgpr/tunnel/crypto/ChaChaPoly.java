package dev.wgpr.tunnel.crypto;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.util.Optional;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;

/**
 * {@code AEAD(key, counter, plaintext, ad)}: ChaCha20-Poly1305 (RFC 8439) through the JDK's provider
 * (intrinsics), with WireGuard's nonce: 32 zero bits then the 64-bit counter, little-endian.
 *
 * <p>Each thread keeps one JDK {@link Cipher} for encryption and one for decryption, initialised again for
 * every message (the JDK needs a fresh nonce per initialisation anyway), so the per-packet path allocates
 * only what the JDK allocates per initialisation. The caller guarantees that a key never seals two messages
 * under one counter.
 */
public final class ChaChaPoly {
    public static final int KEY_LENGTH = 32;
    public static final int TAG_LENGTH = 16;
    public static final int NONCE_LENGTH = 12;

    private static final ThreadLocal<Cipher> ENCRYPTER = ThreadLocal.withInitial(ChaChaPoly::newCipher);
    private static final ThreadLocal<Cipher> DECRYPTER = ThreadLocal.withInitial(ChaChaPoly::newCipher);
    private static final AeadKey RESET_KEY = AeadKey.of(new byte[KEY_LENGTH]);
    private static final IvParameterSpec RESET_NONCE = new IvParameterSpec(new byte[NONCE_LENGTH]);

    private ChaChaPoly() {}

    /** WireGuard's 96-bit nonce for a 64-bit counter: four zero bytes, then the counter little-endian. */
    public static byte[] nonce(long counter) {
        byte[] nonce = new byte[NONCE_LENGTH];
        for (int i = 0; i < 8; i++) {
            nonce[4 + i] = (byte) (counter >>> (8 * i));
        }
        return nonce;
    }

    /** Ciphertext and tag of {@code plaintext} under {@code key} (32 bytes) and {@code counter}. */
    public static byte[] seal(byte[] key, long counter, byte[] plaintext, byte[] ad) {
        return seal(key, nonce(counter), plaintext, ad);
    }

    /** The plaintext, or empty when the tag does not verify (or the ciphertext is shorter than a tag). */
    public static Optional<byte[]> open(byte[] key, long counter, byte[] ciphertext, byte[] ad) {
        return open(key, nonce(counter), ciphertext, ad);
    }

    /**
     * Seals {@code in[inOff, inOff+len)} into {@code out[outOff, outOff+len+16)} (ciphertext then tag);
     * {@code in} and {@code out} may be the same array at the same offset (in place).
     *
     * @return the number of bytes written, {@code len + 16}; -1 if the key has been destroyed
     */
    public static int seal(
            AeadKey key, long counter, byte[] ad, byte[] in, int inOff, int len, byte[] out, int outOff) {
        return sealWithNonce(key, nonce(counter), ad, in, inOff, len, out, outOff);
    }

    /**
     * Opens the ciphertext and tag in {@code in}'s remaining bytes into {@code out} at its position; both
     * may view the same memory at the same place (in place). Positions advance only on success.
     *
     * @return the plaintext length, or -1 if the tag does not verify or the input is shorter than a tag
     */
    public static int open(AeadKey key, long counter, byte[] ad, ByteBuffer in, ByteBuffer out) {
        if (in.remaining() < TAG_LENGTH || out.remaining() < in.remaining() - TAG_LENGTH) {
            return -1;
        }
        Cipher cipher = DECRYPTER.get();
        try {
            cipher.init(Cipher.DECRYPT_MODE, key, new IvParameterSpec(nonce(counter)));
            if (ad != null && ad.length > 0) {
                cipher.updateAAD(ad);
            }
            int length;
            if (in.hasArray() && out.hasArray()) {
                // The arrays themselves, as the JDK would take them from heap buffers anyway (without the
                // two buffer views a packet would cost).
                int inOff = in.arrayOffset() + in.position();
                int outOff = out.arrayOffset() + out.position();
                boolean overlapsAhead = in.array() == out.array() && outOff > inOff && outOff < inOff + in.remaining();
                length = overlapsAhead
                        ? cipher.doFinal(in.duplicate(), out.duplicate()) // the JDK's temporary array
                        : cipher.doFinal(in.array(), inOff, in.remaining(), out.array(), outOff);
            } else {
                length = cipher.doFinal(in.duplicate(), out.duplicate());
            }
            in.position(in.limit());
            out.position(out.position() + length);
            return length;
        } catch (AEADBadTagException e) {
            return -1;
        } catch (InvalidKeyException e) {
            if (key.isDestroyed()) {
                return -1; // destroyed by another thread (a keypair rotated out) while we held it
            }
            throw new IllegalArgumentException("not a usable ChaCha20-Poly1305 key", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ChaCha20-Poly1305 decryption failed to run", e);
        }
    }

    static byte[] seal(byte[] key, byte[] nonce, byte[] plaintext, byte[] ad) {
        AeadKey aeadKey = AeadKey.of(key);
        try {
            byte[] out = new byte[plaintext.length + TAG_LENGTH];
            sealWithNonce(aeadKey, nonce, ad, plaintext, 0, plaintext.length, out, 0);
            return out;
        } finally {
            aeadKey.destroy();
        }
    }

    static Optional<byte[]> open(byte[] key, byte[] nonce, byte[] ciphertext, byte[] ad) {
        if (ciphertext.length < TAG_LENGTH) {
            return Optional.empty();
        }
        AeadKey aeadKey = AeadKey.of(key);
        try {
            Cipher cipher = DECRYPTER.get();
            cipher.init(Cipher.DECRYPT_MODE, aeadKey, new IvParameterSpec(nonce));
            if (ad != null && ad.length > 0) {
                cipher.updateAAD(ad);
            }
            return Optional.of(cipher.doFinal(ciphertext));
        } catch (AEADBadTagException e) {
            return Optional.empty();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ChaCha20-Poly1305 decryption failed to run", e);
        } finally {
            aeadKey.destroy();
        }
    }

    private static int sealWithNonce(
            AeadKey key, byte[] nonce, byte[] ad, byte[] in, int inOff, int len, byte[] out, int outOff) {
        Cipher cipher = ENCRYPTER.get();
        IvParameterSpec iv = new IvParameterSpec(nonce);
        try {
            try {
                cipher.init(Cipher.ENCRYPT_MODE, key, iv);
            } catch (InvalidKeyException sameKeyAndNonceAsLastTime) {
                // The JDK refuses to encrypt twice in a row under one key and nonce on one Cipher; the
                // caller owns nonce uniqueness (counters), so forget the previous initialisation and retry.
                cipher.init(Cipher.DECRYPT_MODE, RESET_KEY, RESET_NONCE);
                cipher.init(Cipher.ENCRYPT_MODE, key, iv);
            }
            if (ad != null && ad.length > 0) {
                cipher.updateAAD(ad);
            }
            return cipher.doFinal(in, inOff, len, out, outOff);
        } catch (InvalidKeyException e) {
            if (key.isDestroyed()) {
                return -1;
            }
            throw new IllegalArgumentException("not a usable ChaCha20-Poly1305 key", e);
        } catch (InvalidAlgorithmParameterException e) {
            throw new IllegalArgumentException("not a usable ChaCha20-Poly1305 nonce", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("ChaCha20-Poly1305 encryption failed (output too short?)", e);
        }
    }

    private static Cipher newCipher() {
        try {
            return Cipher.getInstance("ChaCha20-Poly1305");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK has no ChaCha20-Poly1305", e);
        }
    }
}
