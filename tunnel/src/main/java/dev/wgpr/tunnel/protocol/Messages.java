package dev.wgpr.tunnel.protocol;

import java.nio.ByteBuffer;

/**
 * The four WireGuard message types and the little-endian field helpers they share. Every message starts
 * with a one-byte type and three reserved zero bytes (together a little-endian 32-bit type, as the
 * reference implementations read it).
 */
public final class Messages {
    public static final int INITIATION = 1;
    public static final int RESPONSE = 2;
    public static final int COOKIE_REPLY = 3;
    public static final int TRANSPORT_DATA = 4;

    /** mac1 and mac2 end every handshake message (initiation and response). */
    static final int MACS_LENGTH = 32;

    private Messages() {}

    /**
     * The type (1 to 4) of the message in {@code packet}'s remaining bytes, or 0 when those are fewer than
     * four, a reserved byte is not zero, or the type is unknown. Reads without moving the buffer.
     */
    public static int typeOf(ByteBuffer packet) {
        if (packet.remaining() < 4) {
            return 0;
        }
        int type = intAt(packet, 0);
        return type >= INITIATION && type <= TRANSPORT_DATA ? type : 0;
    }

    /** The little-endian int at {@code offset} from the buffer's position. */
    static int intAt(ByteBuffer packet, int offset) {
        int p = packet.position() + offset;
        return (packet.get(p) & 0xff)
                | (packet.get(p + 1) & 0xff) << 8
                | (packet.get(p + 2) & 0xff) << 16
                | (packet.get(p + 3) & 0xff) << 24;
    }

    static long longAt(ByteBuffer packet, int offset) {
        return (intAt(packet, offset) & 0xFFFF_FFFFL) | ((long) intAt(packet, offset + 4) << 32);
    }

    static byte[] bytesAt(ByteBuffer packet, int offset, int length) {
        byte[] out = new byte[length];
        packet.get(packet.position() + offset, out);
        return out;
    }

    static void putInt(byte[] buffer, int offset, int value) {
        buffer[offset] = (byte) value;
        buffer[offset + 1] = (byte) (value >>> 8);
        buffer[offset + 2] = (byte) (value >>> 16);
        buffer[offset + 3] = (byte) (value >>> 24);
    }

    static void putLong(byte[] buffer, int offset, long value) {
        putInt(buffer, offset, (int) value);
        putInt(buffer, offset + 4, (int) (value >>> 32));
    }

    static void requireLength(byte[] field, int length, String name) {
        if (field.length != length) {
            throw new IllegalArgumentException(name + " is " + length + " bytes, not " + field.length);
        }
    }
}
