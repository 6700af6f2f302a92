package dev.wgpr.tunnel.protocol;

import dev.wgpr.tunnel.Clock;
import dev.wgpr.tunnel.crypto.Curve25519;
import dev.wgpr.tunnel.crypto.Key;
import java.util.Optional;

/**
 * A peer of the interface as the protocol sees it: its static public key, optional preshared key, the
 * handshake in progress, and up to three keypairs (previous, current, and next: a responder's keypair not
 * yet confirmed by a first message from the initiator). Handshake state and keypair rotation are guarded by
 * the peer's monitor; reading the current keypair is lock-free.
 */
public final class Peer {
    private final Key publicKey;
    final byte[] remoteStatic;
    /** {@code DH(our static, their static)}, or null when their key is of low order (no handshake works). */
    final byte[] staticStatic;
    /** {@code HASH(Hi || their static)}: where the transcript of an initiation to them starts. */
    final byte[] initiationHash;

    final CookieGenerator cookies;
    private volatile byte[] presharedKey;

    // Guarded by this: the initiation we sent and await a response to.
    boolean initiationSent;
    byte[] chainingKey;
    byte[] hash;
    byte[] ephemeralPrivate;
    int pendingIndex;

    // Guarded by this: replay and flood protection of their initiations.
    byte[] latestTimestamp = new byte[Tai64n.LENGTH];
    long lastInitiationConsumedNanos;
    boolean consumedAnyInitiation;

    // Guarded by this (current is also read without the lock).
    private Keypair previous;
    private volatile Keypair current;
    private Keypair next;

    Peer(Key publicKey, Key presharedKey, byte[] localPrivate, Clock clock) {
        this.publicKey = publicKey;
        this.remoteStatic = publicKey.toBytes();
        this.staticStatic = Curve25519.sharedSecret(localPrivate, remoteStatic).orElse(null);
        this.initiationHash = Noise.initialHash(remoteStatic);
        this.cookies = new CookieGenerator(remoteStatic, clock);
        setPresharedKey(presharedKey);
    }

    public Key publicKey() {
        return publicKey;
    }

    /** Sets or (with null) removes the preshared key; it applies from the next handshake on. */
    public void setPresharedKey(Key presharedKey) {
        this.presharedKey = presharedKey == null ? new byte[32] : presharedKey.toBytes();
    }

    public boolean hasPresharedKey() {
        for (byte b : presharedKey) {
            if (b != 0) {
                return true;
            }
        }
        return false;
    }

    /** Whether a handshake with this peer can work at all: false when its public key is of low order. */
    public boolean canHandshake() {
        return staticStatic != null;
    }

    /** The keypair to send with: the newest confirmed one. Empty before the first handshake. */
    public Optional<Keypair> currentKeypair() {
        return Optional.ofNullable(current);
    }

    /** A responder's keypair waiting for the initiator's first message, if any. */
    public synchronized Optional<Keypair> nextKeypair() {
        return Optional.ofNullable(next);
    }

    public synchronized Optional<Keypair> previousKeypair() {
        return Optional.ofNullable(previous);
    }

    byte[] presharedKey() {
        return presharedKey;
    }

    /** Forgets the initiation in flight (if any): zeroes its secrets and frees its index. */
    synchronized void forgetInitiation(IndexTable indices) {
        if (initiationSent) {
            indices.remove(pendingIndex, this);
        }
        initiationSent = false;
        Noise.zero(chainingKey, hash, ephemeralPrivate);
        chainingKey = null;
        hash = null;
        ephemeralPrivate = null;
    }

    /**
     * Installs the keypair of a completed handshake, as the kernel implementation rotates them: an
     * initiator's keypair becomes current at once; a responder's waits as next until confirmed.
     */
    synchronized void install(Keypair keypair, IndexTable indices) {
        if (keypair.isInitiator()) {
            Keypair oldPrevious = previous;
            if (next != null) {
                previous = next;
                next = null;
                delete(current, indices);
            } else {
                previous = current;
            }
            delete(oldPrevious, indices);
            current = keypair;
        } else {
            delete(next, indices);
            next = keypair;
            delete(previous, indices);
            previous = null;
        }
    }

    /** A message authenticated under {@code keypair}: if it was next, it is confirmed and becomes current. */
    void received(Keypair keypair, IndexTable indices) {
        if (keypair == current) {
            return; // the common case, without taking the lock
        }
        synchronized (this) {
            if (keypair == next) {
                Keypair oldPrevious = previous;
                previous = current;
                current = next;
                next = null;
                delete(oldPrevious, indices);
            }
        }
    }

    /** Forgets everything: handshake, keypairs (zeroed, indices freed). */
    synchronized void clear(IndexTable indices) {
        forgetInitiation(indices);
        delete(previous, indices);
        delete(current, indices);
        delete(next, indices);
        previous = null;
        current = null;
        next = null;
    }

    private static void delete(Keypair keypair, IndexTable indices) {
        if (keypair != null) {
            indices.remove(keypair.localIndex(), keypair);
            keypair.destroy();
        }
    }

    @Override
    public String toString() {
        return "Peer[" + publicKey.toBase64().substring(0, 8) + "…]";
    }
}
