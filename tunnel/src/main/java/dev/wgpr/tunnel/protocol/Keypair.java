package dev.wgpr.tunnel.protocol;

import dev.wgpr.tunnel.Clock;
import dev.wgpr.tunnel.crypto.AeadKey;
import dev.wgpr.tunnel.crypto.ChaChaPoly;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The transport keys of one completed handshake with one peer: a sending key with its counter, a receiving
 * key with its replay window, and the two indices. Thread-safe: any number of threads may seal and open.
 */
public final class Keypair {
    /** What {@link #takeCounter} gives when there is none: 2^64-1 unsigned, beyond REJECT_AFTER_MESSAGES. */
    public static final long NO_COUNTER = -1;

    private final Peer peer;
    private final Clock clock;
    private final AeadKey sendKey;
    private final AeadKey receiveKey;
    private final int localIndex;
    private final int remoteIndex;
    private final boolean initiator;
    private final long createdNanos;
    private final AtomicLong sendCounter = new AtomicLong();
    private final ReplayWindow replayWindow = new ReplayWindow();
    private volatile boolean destroyed;

    Keypair(
            Peer peer,
            Clock clock,
            byte[] sendKey,
            byte[] receiveKey,
            int localIndex,
            int remoteIndex,
            boolean initiator) {
        this.peer = peer;
        this.clock = clock;
        this.sendKey = AeadKey.of(sendKey);
        this.receiveKey = AeadKey.of(receiveKey);
        this.localIndex = localIndex;
        this.remoteIndex = remoteIndex;
        this.initiator = initiator;
        this.createdNanos = clock.nanoTime();
    }

    public Peer peer() {
        return peer;
    }

    /** Whether we sent the initiation of the handshake that made this keypair. */
    public boolean isInitiator() {
        return initiator;
    }

    /** When the handshake completed, on the {@link Clock#nanoTime()} scale. */
    public long createdNanos() {
        return createdNanos;
    }

    /** The index the peer puts in messages to us. */
    public int localIndex() {
        return localIndex;
    }

    /** The index we put in messages to the peer. */
    public int remoteIndex() {
        return remoteIndex;
    }

    /** The counter the next sealed message gets, which is the number sent so far (unsigned). */
    public long sendCounter() {
        return sendCounter.get();
    }

    /** Whether this keypair is older than {@link Limits#REJECT_AFTER_TIME_NANOS} or was destroyed. */
    public boolean isExpired() {
        return destroyed || clock.nanoTime() - createdNanos >= Limits.REJECT_AFTER_TIME_NANOS;
    }

    /**
     * Seals a packet in place into a transport data message. The packet is at {@code buffer[offset+16,
     * offset+16+length)}; it is zero-padded to a multiple of 16 (capped at {@code mtu}; no cap when {@code
     * mtu} is 0), encrypted with the next counter, and the message (header, ciphertext, tag) is written at
     * {@code buffer[offset, offset+result)}. A keepalive is an empty packet.
     *
     * @return the message length, or -1 when this keypair may no longer send (too old, too many messages,
     *     destroyed)
     * @throws IllegalArgumentException when the buffer has no room for header, padding and tag
     */
    public int seal(byte[] buffer, int offset, int length, int mtu) {
        checkRoom(buffer, offset, length, mtu);
        long counter = takeCounter();
        return counter == NO_COUNTER ? -1 : sealWith(counter, buffer, offset, length, mtu);
    }

    /**
     * The first half of {@link #seal(byte[], int, int, int)}, for sealing in parallel: takes the next
     * counter now, in the order the packets are to go out; {@link #sealWith} then does the encryption on any
     * thread.
     *
     * @return the counter (unsigned), or {@link #NO_COUNTER} when this keypair may no longer send (too old,
     *     too many messages, destroyed)
     */
    public long takeCounter() {
        if (isExpired()) {
            return NO_COUNTER;
        }
        long counter =
                sendCounter.getAndUpdate(c -> Long.compareUnsigned(c, Limits.REJECT_AFTER_MESSAGES) >= 0 ? c : c + 1);
        return Long.compareUnsigned(counter, Limits.REJECT_AFTER_MESSAGES) >= 0 ? NO_COUNTER : counter;
    }

    /**
     * The second half of {@link #seal(byte[], int, int, int)}: seals under {@code counter}, which {@link
     * #takeCounter} gave.
     *
     * @return the message length, or -1 when the keys were destroyed meanwhile
     * @throws IllegalArgumentException when the buffer has no room for header, padding and tag
     */
    public int sealWith(long counter, byte[] buffer, int offset, int length, int mtu) {
        int padded = checkRoom(buffer, offset, length, mtu);
        int plaintext = offset + TransportHeader.SIZE;
        Arrays.fill(buffer, plaintext + length, plaintext + padded, (byte) 0);
        buffer[offset] = Messages.TRANSPORT_DATA;
        buffer[offset + 1] = 0;
        buffer[offset + 2] = 0;
        buffer[offset + 3] = 0;
        Messages.putInt(buffer, offset + TransportHeader.RECEIVER, remoteIndex);
        Messages.putLong(buffer, offset + TransportHeader.COUNTER, counter);
        int sealed = ChaChaPoly.seal(sendKey, counter, null, buffer, plaintext, padded, buffer, plaintext);
        return sealed < 0 ? -1 : TransportHeader.SIZE + sealed;
    }

    /** The padded length of the packet, once sure the buffer holds its message. */
    private static int checkRoom(byte[] buffer, int offset, int length, int mtu) {
        int padded = paddedLength(length, mtu);
        if (offset < 0
                || length < 0
                || buffer.length - offset < TransportHeader.SIZE + padded + ChaChaPoly.TAG_LENGTH) {
            throw new IllegalArgumentException("no room for a transport message of a " + length + "-byte packet");
        }
        return padded;
    }

    /** {@link #seal(byte[], int, int, int)} into a new array; empty when this keypair may no longer send. */
    public Optional<byte[]> seal(byte[] packet, int mtu) {
        byte[] buffer = new byte[TransportHeader.SIZE + paddedLength(packet.length, mtu) + ChaChaPoly.TAG_LENGTH];
        System.arraycopy(packet, 0, buffer, TransportHeader.SIZE, packet.length);
        int length = seal(buffer, 0, packet.length, mtu);
        return length < 0 ? Optional.empty() : Optional.of(buffer);
    }

    /**
     * The length of a packet of {@code length} bytes once padded: up to a multiple of 16, but never beyond
     * the MTU (a packet longer than the MTU is padded as the kernel does, by its remainder modulo the MTU).
     */
    public static int paddedLength(int length, int mtu) {
        int lastUnit = mtu > 0 && length > mtu ? length % mtu : length;
        int aligned = (lastUnit + Limits.PADDING_MULTIPLE - 1) & -Limits.PADDING_MULTIPLE;
        int paddedUnit = mtu > 0 ? Math.min(mtu, aligned) : aligned;
        return length + (paddedUnit - lastUnit);
    }

    AeadKey receiveKey() {
        return receiveKey;
    }

    /** Replay check of an authenticated counter. */
    boolean acceptCounter(long counter) {
        return replayWindow.accept(counter);
    }

    /** Lets tests reach the end of the counter space without sending 2^64 messages. */
    void skipSendCounterTo(long counter) {
        sendCounter.set(counter);
    }

    void destroy() {
        destroyed = true;
        sendKey.destroy();
        receiveKey.destroy();
    }

    @Override
    public String toString() {
        return "Keypair[" + (initiator ? "initiator" : "responder") + ", local " + Integer.toUnsignedString(localIndex)
                + ", " + peer + "]";
    }
}
