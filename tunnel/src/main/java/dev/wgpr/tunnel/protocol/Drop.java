package dev.wgpr.tunnel.protocol;

/** Why {@link Protocol#receive} dropped a datagram; each reason is counted. */
public enum Drop {
    /** Not a WireGuard message: wrong size, unknown type, non-zero reserved bytes. */
    MALFORMED,
    /** A handshake message whose mac1 is not for us. */
    BAD_MAC1,
    /** An initiation whose static key does not decrypt, or belongs to no peer of ours. */
    UNKNOWN_PEER,
    /** A handshake that fails cryptographically: a field does not decrypt, or a DH result is all zero. */
    HANDSHAKE_FAILED,
    /** An initiation whose timestamp is not later than the last one accepted from that peer. */
    REPLAYED_TIMESTAMP,
    /** An initiation less than 1/50 s after the last one accepted from that peer. */
    INITIATION_FLOOD,
    /** A message for an index we do not have (or of the wrong kind). */
    UNKNOWN_INDEX,
    /** A response to no initiation of ours in flight. */
    UNEXPECTED_RESPONSE,
    /** A cookie reply that does not decrypt against the last mac1 we sent that peer. */
    INVALID_COOKIE,
    /** Transport data whose tag does not verify. */
    DATA_DECRYPTION_FAILED,
    /** Transport data whose counter was seen already, slid out of the window, or is beyond the limit. */
    REPLAYED_COUNTER,
    /** Transport data for a keypair older than the reject-after time. */
    KEYPAIR_EXPIRED,
}
