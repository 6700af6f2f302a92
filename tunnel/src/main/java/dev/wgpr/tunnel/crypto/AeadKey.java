package dev.wgpr.tunnel.crypto;

import java.io.NotSerializableException;
import java.io.ObjectOutputStream;
import java.io.Serial;
import java.util.Arrays;
import javax.crypto.SecretKey;

/**
 * A 32-byte ChaCha20-Poly1305 key held for many operations (a transport key of a session). Thread-safe;
 * {@link #destroy()} zeroes it. Never serialized, never printed.
 */
public final class AeadKey implements SecretKey {
    @Serial
    private static final long serialVersionUID = 1L;

    private final byte[] key;
    private volatile boolean destroyed;

    private AeadKey(byte[] key) {
        this.key = key;
    }

    /** A copy of {@code key}, which must be 32 bytes. */
    public static AeadKey of(byte[] key) {
        if (key.length != ChaChaPoly.KEY_LENGTH) {
            throw new IllegalArgumentException("a ChaCha20-Poly1305 key is 32 bytes, not " + key.length);
        }
        return new AeadKey(key.clone());
    }

    @Override
    public String getAlgorithm() {
        return "ChaCha20";
    }

    @Override
    public String getFormat() {
        return "RAW";
    }

    /** A copy of the key (the JDK cipher asks for it on every initialisation), or null once destroyed. */
    @Override
    public byte[] getEncoded() {
        return destroyed ? null : key.clone();
    }

    @Override
    public void destroy() {
        destroyed = true;
        Arrays.fill(key, (byte) 0);
    }

    @Override
    public boolean isDestroyed() {
        return destroyed;
    }

    @Override
    public String toString() {
        return "AeadKey[redacted]";
    }

    @Serial
    private void writeObject(ObjectOutputStream out) throws NotSerializableException {
        throw new NotSerializableException("keys are never serialized");
    }
}
