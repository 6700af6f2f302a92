package dev.wgpr.tunnel.protocol;

import static dev.wgpr.tunnel.protocol.Messages.bytesAt;
import static dev.wgpr.tunnel.protocol.Messages.intAt;
import static dev.wgpr.tunnel.protocol.Messages.requireLength;

import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * Handshake initiation (type 1, 148 bytes): sender index, unencrypted ephemeral, encrypted static key (32 +
 * 16), encrypted TAI64N timestamp (12 + 16), mac1, mac2. The arrays belong to the record.
 */
record Initiation(
        int sender, byte[] ephemeral, byte[] encryptedStatic, byte[] encryptedTimestamp, byte[] mac1, byte[] mac2) {
    public static final int SIZE = 148;
    static final int SENDER = 4;
    static final int EPHEMERAL = 8;
    static final int STATIC = 40;
    static final int TIMESTAMP = 88;
    static final int MAC1 = 116;
    static final int MAC2 = 132;

    public Initiation {
        requireLength(ephemeral, 32, "ephemeral");
        requireLength(encryptedStatic, 48, "encrypted static");
        requireLength(encryptedTimestamp, 28, "encrypted timestamp");
        requireLength(mac1, 16, "mac1");
        requireLength(mac2, 16, "mac2");
    }

    /**
     * The initiation in {@code packet}'s remaining bytes, or empty when they are not exactly one: wrong
     * size, type or reserved bytes. Pure: never throws, leaves the buffer as it was.
     */
    public static Optional<Initiation> parse(ByteBuffer packet) {
        if (packet.remaining() != SIZE || Messages.typeOf(packet) != Messages.INITIATION) {
            return Optional.empty();
        }
        return Optional.of(new Initiation(
                intAt(packet, SENDER),
                bytesAt(packet, EPHEMERAL, 32),
                bytesAt(packet, STATIC, 48),
                bytesAt(packet, TIMESTAMP, 28),
                bytesAt(packet, MAC1, 16),
                bytesAt(packet, MAC2, 16)));
    }

    /** The 148 bytes on the wire. */
    public byte[] toBytes() {
        byte[] out = new byte[SIZE];
        out[0] = Messages.INITIATION;
        Messages.putInt(out, SENDER, sender);
        System.arraycopy(ephemeral, 0, out, EPHEMERAL, 32);
        System.arraycopy(encryptedStatic, 0, out, STATIC, 48);
        System.arraycopy(encryptedTimestamp, 0, out, TIMESTAMP, 28);
        System.arraycopy(mac1, 0, out, MAC1, 16);
        System.arraycopy(mac2, 0, out, MAC2, 16);
        return out;
    }
}
