package dev.wgpr.tunnel.protocol;

import java.nio.ByteBuffer;

/** What {@link Protocol#receive} made of one datagram, and what the caller should do next. */
public sealed interface Received {
    /**
     * A valid initiation from {@code peer}: send {@code message} (a handshake response) back to the source.
     * {@code keypair} is the peer's new next keypair, confirmed by the initiator's first data message.
     */
    record Respond(Peer peer, byte[] message, Keypair keypair) implements Received {}

    /** We are under load and the handshake message had no valid mac2: send {@code message} back instead. */
    record SendCookie(byte[] message) implements Received {}

    /** A valid response to our initiation: {@code keypair} is the peer's current keypair now. */
    record Established(Peer peer, Keypair keypair) implements Received {}

    /** A cookie reply from {@code peer}: resend the handshake message; it will now carry mac2. */
    record CookieStored(Peer peer) implements Received {}

    /**
     * Transport data from {@code peer}, authenticated: {@code plaintext} views the decrypted, still padded
     * packet (decrypted in place in the datagram's buffer unless that is read-only); empty for a keepalive.
     */
    record Data(Peer peer, Keypair keypair, ByteBuffer plaintext) implements Received {}

    /** Dropped, for the given reason (counted). */
    record Dropped(Drop reason) implements Received {}
}
