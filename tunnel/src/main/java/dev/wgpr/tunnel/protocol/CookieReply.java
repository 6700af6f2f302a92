package dev.wgpr.tunnel.protocol;

import static dev.wgpr.tunnel.protocol.Messages.bytesAt;
import static dev.wgpr.tunnel.protocol.Messages.intAt;
import static dev.wgpr.tunnel.protocol.Messages.requireLength;

import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * Cookie reply (type 3, 64 bytes): receiver index (the sender index of the message it answers), a 24-byte
 * random nonce, and the 16-byte cookie sealed with XChaCha20-Poly1305 (16 + 16). The arrays belong to the
 * record.
 */
record CookieReply(int receiver, byte[] nonce, byte[] encryptedCookie) {
    public static final int SIZE = 64;
    static final int RECEIVER = 4;
    static final int NONCE = 8;
    static final int COOKIE = 32;

    public CookieReply {
        requireLength(nonce, 24, "nonce");
        requireLength(encryptedCookie, 32, "encrypted cookie");
    }

    /**
     * The cookie reply in {@code packet}'s remaining bytes, or empty when they are not exactly one. Pure:
     * never throws, leaves the buffer as it was.
     */
    public static Optional<CookieReply> parse(ByteBuffer packet) {
        if (packet.remaining() != SIZE || Messages.typeOf(packet) != Messages.COOKIE_REPLY) {
            return Optional.empty();
        }
        return Optional.of(
                new CookieReply(intAt(packet, RECEIVER), bytesAt(packet, NONCE, 24), bytesAt(packet, COOKIE, 32)));
    }

    /** The 64 bytes on the wire. */
    public byte[] toBytes() {
        byte[] out = new byte[SIZE];
        out[0] = Messages.COOKIE_REPLY;
        Messages.putInt(out, RECEIVER, receiver);
        System.arraycopy(nonce, 0, out, NONCE, 24);
        System.arraycopy(encryptedCookie, 0, out, COOKIE, 32);
        return out;
    }
}
