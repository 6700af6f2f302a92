package dev.wgpr.tunnel.protocol;

import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * The 16-byte header of a transport data message (type 4): receiver index and the 64-bit little-endian
 * counter; the encrypted, padded packet and its 16-byte tag follow. A keepalive is a message of 32 bytes
 * (empty plaintext).
 */
public record TransportHeader(int receiver, long counter) {
    public static final int SIZE = 16;
    /** Header and tag, the size of a keepalive. */
    public static final int MIN_MESSAGE_SIZE = SIZE + 16;

    static final int RECEIVER = 4;
    static final int COUNTER = 8;

    /**
     * The header of the transport message in {@code packet}'s remaining bytes, or empty when they are no
     * such message (shorter than a keepalive, wrong type or reserved bytes). Pure: never throws, leaves the
     * buffer as it was.
     */
    public static Optional<TransportHeader> parse(ByteBuffer packet) {
        if (packet.remaining() < MIN_MESSAGE_SIZE || Messages.typeOf(packet) != Messages.TRANSPORT_DATA) {
            return Optional.empty();
        }
        return Optional.of(new TransportHeader(Messages.intAt(packet, RECEIVER), Messages.longAt(packet, COUNTER)));
    }

    /** Writes this header at {@code buffer[offset, offset+16)}. */
    public void writeTo(byte[] buffer, int offset) {
        buffer[offset] = Messages.TRANSPORT_DATA;
        buffer[offset + 1] = 0;
        buffer[offset + 2] = 0;
        buffer[offset + 3] = 0;
        Messages.putInt(buffer, offset + RECEIVER, receiver);
        Messages.putLong(buffer, offset + COUNTER, counter);
    }
}
