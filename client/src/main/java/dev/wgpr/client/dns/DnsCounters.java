package dev.wgpr.client.dns;

/**
 * What a tunnel's forwarder did with the queries it got, since it started.
 *
 * @param answered answers relayed back to the client that asked
 * @param refused queries it answered REFUSED itself (an internal name asked on the link face)
 * @param forwarded queries it sent on to a server
 * @param dropped queries left unanswered: malformed, beyond its bounds, or no server answered in time
 * @param strayAnswers datagrams on its upstream socket that answered nothing it asked (late, forged, junk)
 */
public record DnsCounters(long answered, long refused, long forwarded, long dropped, long strayAnswers) {}
