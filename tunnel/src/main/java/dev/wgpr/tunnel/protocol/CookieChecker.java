package dev.wgpr.tunnel.protocol;

import dev.wgpr.tunnel.Clock;
import dev.wgpr.tunnel.crypto.Blake2s;
import dev.wgpr.tunnel.crypto.XChaChaPoly;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * The receiving side of WireGuard's DoS protection (whitepaper section 5.4.7): checks mac1 of every
 * handshake message addressed to us, checks mac2 when under load, and makes cookie replies. The cookie of a
 * source is {@code MAC(Rm, address || port)} with a random secret {@code Rm} renewed every two minutes.
 */
final class CookieChecker {
    private final byte[] mac1Key;
    private final byte[] cookieKey;
    private final Clock clock;
    private final SecureRandom random;
    private final byte[] secret = new byte[32];
    private long secretBornAt;
    private boolean hasSecret;

    CookieChecker(byte[] localPublic, Clock clock, SecureRandom random) {
        this.mac1Key = Blake2s.hash(Noise.LABEL_MAC1, localPublic);
        this.cookieKey = Blake2s.hash(Noise.LABEL_COOKIE, localPublic);
        this.clock = clock;
        this.random = random;
    }

    /** Whether mac1 (the 16 bytes before the last 16) of a whole handshake message is right for us. */
    boolean mac1Valid(byte[] message) {
        int mac1 = message.length - Messages.MACS_LENGTH;
        byte[] expected = Blake2s.mac(mac1Key, message, 0, mac1);
        return MessageDigest.isEqual(expected, Arrays.copyOfRange(message, mac1, mac1 + 16));
    }

    /** Whether mac2 (the last 16 bytes) is the MAC of the message under the current cookie of {@code source}. */
    synchronized boolean mac2Valid(byte[] message, InetSocketAddress source) {
        if (!secretFresh()) {
            return false;
        }
        int mac2 = message.length - 16;
        byte[] cookie = cookie(source);
        byte[] expected = Blake2s.mac(cookie, message, 0, mac2);
        Noise.zero(cookie);
        return MessageDigest.isEqual(expected, Arrays.copyOfRange(message, mac2, mac2 + 16));
    }

    /**
     * A cookie reply to the handshake message {@code message} (whose sender index is {@code receiver}) from
     * {@code source}: the source's cookie sealed under {@code HASH("cookie--" || our public key)} with the
     * message's mac1 as associated data.
     */
    synchronized CookieReply reply(byte[] message, int receiver, InetSocketAddress source) {
        if (!secretFresh()) {
            random.nextBytes(secret);
            secretBornAt = clock.nanoTime();
            hasSecret = true;
        }
        int mac1 = message.length - Messages.MACS_LENGTH;
        byte[] nonce = new byte[XChaChaPoly.NONCE_LENGTH];
        random.nextBytes(nonce);
        byte[] cookie = cookie(source);
        byte[] sealed = XChaChaPoly.seal(cookieKey, nonce, cookie, Arrays.copyOfRange(message, mac1, mac1 + 16));
        Noise.zero(cookie);
        return new CookieReply(receiver, nonce, sealed);
    }

    private boolean secretFresh() {
        return hasSecret && clock.nanoTime() - secretBornAt < Limits.COOKIE_SECRET_MAX_AGE_NANOS;
    }

    private byte[] cookie(InetSocketAddress source) {
        byte[] address = addressBytes(source);
        return Blake2s.mac(secret, address, 0, address.length);
    }

    /**
     * The source as the cookie covers it: the IP address bytes (4 or 16) then the port big-endian, as the
     * kernel implementation hashes them. Only we ever check our cookies, so the encoding is ours to choose.
     */
    static byte[] addressBytes(InetSocketAddress source) {
        InetAddress address = source == null ? null : source.getAddress();
        byte[] ip = address == null ? new byte[0] : address.getAddress();
        int port = source == null ? 0 : source.getPort();
        byte[] out = Arrays.copyOf(ip, ip.length + 2);
        out[ip.length] = (byte) (port >>> 8);
        out[ip.length + 1] = (byte) port;
        return out;
    }
}
