/**
 * WireGuard's primitives (whitepaper section 5.4): {@link dev.wgpr.tunnel.crypto.Blake2s} ({@code HASH},
 * {@code MAC}, {@code HMAC}), {@link dev.wgpr.tunnel.crypto.Kdf} ({@code KDF1..3}), {@link
 * dev.wgpr.tunnel.crypto.ChaChaPoly} ({@code AEAD}, the JDK cipher, per-thread instances), {@link
 * dev.wgpr.tunnel.crypto.XChaChaPoly} ({@code XAEAD}), {@link dev.wgpr.tunnel.crypto.Curve25519} ({@code
 * DH}, refusing all-zero results), and {@link dev.wgpr.tunnel.crypto.Key}.
 */
package dev.wgpr.tunnel.crypto;
