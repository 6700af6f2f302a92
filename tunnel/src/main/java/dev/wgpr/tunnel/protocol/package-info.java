/**
 * The WireGuard protocol without devices. {@link dev.wgpr.tunnel.protocol.Protocol} is one interface: add
 * {@link dev.wgpr.tunnel.protocol.Peer}s, {@link dev.wgpr.tunnel.protocol.Protocol#createInitiation create
 * initiations}, and hand every received datagram to {@link dev.wgpr.tunnel.protocol.Protocol#receive}, which
 * answers with a {@link dev.wgpr.tunnel.protocol.Received}: a response or cookie reply to send, a completed
 * handshake, a stored cookie, decrypted transport data, or a counted {@link dev.wgpr.tunnel.protocol.Drop}.
 * Outgoing data goes through the peer's current {@link dev.wgpr.tunnel.protocol.Keypair#seal}.
 *
 * <p>The layers above live in {@code dev.wgpr.tunnel.device}: timers (with the constants of {@link
 * dev.wgpr.tunnel.protocol.Limits} and the time of {@link dev.wgpr.tunnel.Clock}), the under-load decision,
 * endpoints and roaming, cryptokey routing, per-source rate limiting; a new private key means a new
 * {@code Protocol}.
 *
 * <p>The parsers ({@code Initiation.parse}, {@code Response.parse}, {@code CookieReply.parse}, {@code
 * TransportHeader.parse}) are pure functions of a {@link java.nio.ByteBuffer} and never throw, for fuzzing.
 */
package dev.wgpr.tunnel.protocol;
