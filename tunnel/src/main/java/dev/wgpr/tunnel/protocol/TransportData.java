package dev.wgpr.tunnel.protocol;

import dev.wgpr.tunnel.crypto.ChaChaPoly;
import java.nio.ByteBuffer;

/**
 * One received transport data message, taken apart so that several can be opened in parallel while their
 * effects keep the order they arrived in (wireguard-go's decryption workers and per-peer inbound queue).
 * {@link Protocol#beginData} looks up the keypair (in arrival order, on the receiving thread); {@link #open}
 * decrypts (any thread, once); {@link #finish} checks the replay window, rotates keypairs and yields what
 * {@link Protocol#receive} would have (in arrival order again, on the receiving thread). The replay check
 * comes after the decryption, as in {@link Protocol#receive}, so only authentic counters enter the window.
 */
public final class TransportData {
    private final Protocol protocol;
    private final Received early;
    private final Keypair keypair;
    private final long counter;
    private final ByteBuffer sealed;
    private final ByteBuffer plaintext;
    private int openedLength = -1;

    private TransportData(
            Protocol protocol, Received early, Keypair keypair, long counter, ByteBuffer sealed, ByteBuffer plaintext) {
        this.protocol = protocol;
        this.early = early;
        this.keypair = keypair;
        this.counter = counter;
        this.sealed = sealed;
        this.plaintext = plaintext;
    }

    /** A message dropped before decryption (already counted): {@link #finish} returns {@code dropped}. */
    static TransportData dropped(Protocol protocol, Received dropped) {
        return new TransportData(protocol, dropped, null, 0, null, null);
    }

    static TransportData of(Protocol protocol, Keypair keypair, long counter, ByteBuffer sealed, ByteBuffer plaintext) {
        return new TransportData(protocol, null, keypair, counter, sealed, plaintext);
    }

    /** Decrypts (in place unless the datagram was read-only); the expensive part, safe on any thread. */
    public void open() {
        if (early == null) {
            openedLength = ChaChaPoly.open(keypair.receiveKey(), counter, null, sealed, plaintext.duplicate());
        }
    }

    /**
     * What the message amounts to, after {@link #open} has returned (the caller orders the two, e.g. through
     * a latch, which also makes the opened bytes visible here).
     */
    public Received finish() {
        if (early != null) {
            return early;
        }
        if (openedLength < 0) {
            return protocol.drop(Drop.DATA_DECRYPTION_FAILED);
        }
        if (!keypair.acceptCounter(counter)) {
            return protocol.drop(Drop.REPLAYED_COUNTER);
        }
        keypair.peer().received(keypair, protocol.indices());
        return new Received.Data(keypair.peer(), keypair, plaintext.slice(0, openedLength));
    }
}
