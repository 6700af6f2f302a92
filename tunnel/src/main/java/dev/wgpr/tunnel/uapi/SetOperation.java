package dev.wgpr.tunnel.uapi;

import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.tunnel.crypto.Key;
import java.net.InetSocketAddress;

/** One validated line of a {@code set=1} request; applied in order by {@link SetRequest}. */
sealed interface SetOperation {
    /** {@code private_key=}; empty (all zeros) removes it. */
    record PrivateKey(Key key) implements SetOperation {}

    record ListenPort(int port) implements SetOperation {}

    record Fwmark(long mark) implements SetOperation {}

    record ReplacePeers() implements SetOperation {}

    /** {@code public_key=}: selects (creating if needed) the peer the following lines apply to. */
    record SelectPeer(Key publicKey) implements SetOperation {}

    record UpdateOnly() implements SetOperation {}

    record RemovePeer() implements SetOperation {}

    /** All zeros removes it. */
    record PresharedKey(Key key) implements SetOperation {}

    record Endpoint(InetSocketAddress address) implements SetOperation {}

    record PersistentKeepalive(int seconds) implements SetOperation {}

    record ReplaceAllowedIps() implements SetOperation {}

    record AllowedIp(IpPrefix prefix) implements SetOperation {}

    /** {@code protocol_version=1}: the only version there is; accepted and changes nothing. */
    record ProtocolVersion() implements SetOperation {}
}
