package dev.wgpr.tunnel.protocol;

import dev.wgpr.tunnel.Clock;
import dev.wgpr.tunnel.crypto.Blake2s;
import dev.wgpr.tunnel.crypto.XChaChaPoly;
import java.util.Optional;

/**
 * The sending side of WireGuard's DoS protection, one per peer: writes mac1 (always) and mac2 (while a
 * cookie from the peer is fresh) into our handshake messages, and takes the peer's cookie replies.
 */
final class CookieGenerator {
    private final byte[] mac1Key;
    private final byte[] cookieKey;
    private final Clock clock;
    private byte[] lastMac1;
    private byte[] cookie;
    private long cookieBornAt;

    CookieGenerator(byte[] remotePublic, Clock clock) {
        this.mac1Key = Blake2s.hash(Noise.LABEL_MAC1, remotePublic);
        this.cookieKey = Blake2s.hash(Noise.LABEL_COOKIE, remotePublic);
        this.clock = clock;
    }

    /** Writes mac1 and mac2 into the last 32 bytes of a whole handshake message. */
    synchronized void stamp(byte[] message) {
        int mac1At = message.length - Messages.MACS_LENGTH;
        int mac2At = message.length - 16;
        byte[] mac1 = Blake2s.mac(mac1Key, message, 0, mac1At);
        System.arraycopy(mac1, 0, message, mac1At, 16);
        lastMac1 = mac1;
        if (cookie != null
                && clock.nanoTime() - cookieBornAt
                        < Limits.COOKIE_SECRET_MAX_AGE_NANOS - Limits.COOKIE_SECRET_LATENCY_NANOS) {
            byte[] mac2 = Blake2s.mac(cookie, message, 0, mac2At);
            System.arraycopy(mac2, 0, message, mac2At, 16);
        } else {
            java.util.Arrays.fill(message, mac2At, message.length, (byte) 0);
        }
    }

    /**
     * Takes a cookie reply to the last message we stamped: true if it decrypts with that message's mac1 as
     * associated data (then mac2 goes into our next messages), false otherwise. One reply per message.
     */
    synchronized boolean consume(CookieReply reply) {
        if (lastMac1 == null) {
            return false;
        }
        Optional<byte[]> opened = XChaChaPoly.open(cookieKey, reply.nonce(), reply.encryptedCookie(), lastMac1);
        if (opened.isEmpty()) {
            return false;
        }
        Noise.zero(cookie);
        cookie = opened.get();
        cookieBornAt = clock.nanoTime();
        lastMac1 = null;
        return true;
    }
}
