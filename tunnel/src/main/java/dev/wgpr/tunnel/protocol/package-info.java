/**
 * The WireGuard protocol without devices. {@link dev.wgpr.tunnel.protocol.Protocol} is one interface: add
 * {@link dev.wgpr.tunnel.protocol.Peer}s, {@link dev.wgpr.tunnel.protocol.Protocol#createInitiation create
 * initiations}, and hand every received datagram to {@link dev.wgpr.tunnel.protocol.Protocol#receive}, which
 * answers with a {@link dev.wgpr.tunnel.protocol.Received}: a response or cookie reply to send, a completed
 * handshake, a stored cookie, decrypted transport data, or a counted {@link dev.wgpr.tunnel.protocol.Drop}.
 * Outgoing data goes through the peer's current {@link dev.wgpr.tunnel.protocol.Keypair#seal}.
 *
 * <p>Not here yet, for the layers above: the timers (rekey, retransmit with jitter, keepalives, key zeroing
 * after 3 x reject-after-time; {@link dev.wgpr.tunnel.protocol.Limits} has the constants and {@link
 * dev.wgpr.tunnel.Clock} the time), the under-load decision and per-source rate limiting, endpoints and
 * roaming, cryptokey routing, and changing the private key of a running interface.
 *
 * <p>The parsers ({@code Initiation.parse}, {@code Response.parse}, {@code CookieReply.parse}, {@code
 * TransportHeader.parse}) are pure functions of a {@link java.nio.ByteBuffer} and never throw, for fuzzing.
 */
package dev.wgpr.tunnel.protocol;
