package dev.wgpr.tunnel.protocol;

import static dev.wgpr.tunnel.protocol.Messages.bytesAt;
import static dev.wgpr.tunnel.protocol.Messages.intAt;
import static dev.wgpr.tunnel.protocol.Messages.requireLength;

import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * Handshake response (type 2, 92 bytes): sender index, receiver index, unencrypted ephemeral, encrypted
 * nothing (a 16-byte tag), mac1, mac2. The arrays belong to the record.
 */
record Response(int sender, int receiver, byte[] ephemeral, byte[] encryptedNothing, byte[] mac1, byte[] mac2) {
    public static final int SIZE = 92;
    static final int SENDER = 4;
    static final int RECEIVER = 8;
    static final int EPHEMERAL = 12;
    static final int EMPTY = 44;
    static final int MAC1 = 60;
    static final int MAC2 = 76;

    public Response {
        requireLength(ephemeral, 32, "ephemeral");
        requireLength(encryptedNothing, 16, "encrypted nothing");
        requireLength(mac1, 16, "mac1");
        requireLength(mac2, 16, "mac2");
    }

    /**
     * The response in {@code packet}'s remaining bytes, or empty when they are not exactly one. Pure: never
     * throws, leaves the buffer as it was.
     */
    public static Optional<Response> parse(ByteBuffer packet) {
        if (packet.remaining() != SIZE || Messages.typeOf(packet) != Messages.RESPONSE) {
            return Optional.empty();
        }
        return Optional.of(new Response(
                intAt(packet, SENDER),
                intAt(packet, RECEIVER),
                bytesAt(packet, EPHEMERAL, 32),
                bytesAt(packet, EMPTY, 16),
                bytesAt(packet, MAC1, 16),
                bytesAt(packet, MAC2, 16)));
    }

    /** The 92 bytes on the wire. */
    public byte[] toBytes() {
        byte[] out = new byte[SIZE];
        out[0] = Messages.RESPONSE;
        Messages.putInt(out, SENDER, sender);
        Messages.putInt(out, RECEIVER, receiver);
        System.arraycopy(ephemeral, 0, out, EPHEMERAL, 32);
        System.arraycopy(encryptedNothing, 0, out, EMPTY, 16);
        System.arraycopy(mac1, 0, out, MAC1, 16);
        System.arraycopy(mac2, 0, out, MAC2, 16);
        return out;
    }
}
