package dev.wgpr.enforcement;

import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.enforcement.policy.Grant;
import dev.wgpr.enforcement.policy.Protocol;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The decision function as plain code: the executable specification the kernel programs are
 * tested against (DESIGN.md, "The model"; enforcement/DESIGN.md, "The decision"). It is total: every
 * input has exactly one answer. Nothing here is optimized.
 */
public final class ReferenceModel {
    private ReferenceModel() {}

    /**
     * Decides a connection attempt or datagram in the tunnel's namespace.
     *
     * @param app the caller's app, empty when the caller is no app
     * @param destination where it goes; an IPv4-mapped IPv6 address is judged as the IPv4 address
     * @param protocol {@link Protocol#TCP} or {@link Protocol#UDP}, or {@link Protocol#ANY} for any
     *     other protocol (one without ports: only a grant of any protocol and every port covers it)
     * @param port the destination port (ignored for {@link Protocol#ANY})
     */
    public static Decision decide(
            Policy policy, Optional<AppId> app, InetAddress destination, Protocol protocol, int port) {
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(app, "app");
        Objects.requireNonNull(protocol, "protocol");
        InetAddress dst = unmapped(destination);
        int effectivePort = protocol == Protocol.ANY ? 0 : port;

        if (!isInternal(policy, dst)) {
            return Decision.ALLOW_EXTERNAL;
        }
        if (app.isEmpty()) {
            return around(policy.bypassed(), policy, dst) ? Decision.ALLOW_BYPASS : Decision.DENY_NO_APP;
        }
        if (app.get().isExcluded() && around(policy.excludedAround(), policy, dst)) {
            return Decision.ALLOW_BYPASS;
        }
        for (Grant grant : policy.grantsOf(app.get())) {
            if (grant.covers(dst, protocol, effectivePort)) {
                return Decision.ALLOW_INTERNAL;
            }
        }
        return Decision.DENY_NO_GRANT;
    }

    /**
     * Whether the longest internal prefix holding {@code destination} (which {@link #isInternal} found
     * internal) is one of {@code prefixes} (those bypassed, or those excluded apps go around). Only the longest counts: a deny tunnel's
     * 10.20.0.0/16 inside a bypass tunnel's 0.0.0.0/0 is routed into the deny tunnel, and denied.
     */
    static boolean around(Set<IpPrefix> prefixes, Policy policy, InetAddress destination) {
        return longestInternal(policy, destination).filter(prefixes::contains).isPresent();
    }

    /**
     * The longest internal prefix holding {@code destination} (an IPv4-mapped address taken as the IPv4
     * one): the one routing sends it by, so the tunnel it goes to; empty when it is not internal.
     */
    public static Optional<IpPrefix> longestInternal(Policy policy, InetAddress destination) {
        InetAddress dst = unmapped(destination);
        IpPrefix longest = null;
        for (IpPrefix prefix : policy.internal().keySet()) {
            if (prefix.contains(dst) && (longest == null || prefix.length() > longest.length())) {
                longest = prefix;
            }
        }
        return Optional.ofNullable(longest);
    }

    /**
     * The backstop's decision (layer 2, enforcement/DESIGN.md): a packet about to enter the tunnel.
     * On the tunnel every destination is internal by definition (it is leaving through the tunnel),
     * so the exclusions play no part here: a packet that reached the tunnel through {@code
     * SO_BINDTODEVICE} or {@code IP_PKTINFO} toward an address routing would send elsewhere is still
     * judged by the sender's grants.
     *
     * @param socket whether the packet has a sending socket; empty app = the socket's cgroup is no app
     * @param protocol {@link Protocol#ANY} for protocols without ports and for non-first fragments
     */
    public static Decision decideTunnel(
            Policy policy, boolean socket, Optional<AppId> app, InetAddress destination, Protocol protocol, int port) {
        Objects.requireNonNull(policy, "policy");
        if (!socket) {
            return policy.allowForwarding() ? Decision.ALLOW_FORWARDED : Decision.DENY_FORWARDED;
        }
        if (app.isEmpty()) {
            return Decision.DENY_NO_APP;
        }
        InetAddress dst = unmapped(destination);
        int effectivePort = protocol == Protocol.ANY ? 0 : port;
        for (Grant grant : policy.grantsOf(app.get())) {
            if (grant.covers(dst, protocol, effectivePort)) {
                return Decision.ALLOW_INTERNAL;
            }
        }
        return Decision.DENY_NO_GRANT;
    }

    /**
     * Whether routing sends {@code destination} into the tunnel: the longest internal or exclusion
     * prefix of its family that contains it decides; an exclusion wins a tie; none means external.
     */
    public static boolean isInternal(Policy policy, InetAddress destination) {
        InetAddress dst = unmapped(destination);
        int bestLength = -1;
        boolean internal = false;
        for (IpPrefix prefix : policy.internal().keySet()) {
            if (prefix.contains(dst) && prefix.length() > bestLength) {
                bestLength = prefix.length();
                internal = true;
            }
        }
        for (IpPrefix prefix : policy.exclusions()) {
            if (prefix.contains(dst) && prefix.length() >= bestLength) {
                bestLength = prefix.length();
                internal = false;
            }
        }
        return internal;
    }

    /** {@code ::ffff:a.b.c.d} becomes {@code a.b.c.d}; every other address stays as it is. */
    public static InetAddress unmapped(InetAddress address) {
        if (address instanceof Inet6Address) {
            byte[] bytes = address.getAddress();
            byte[] prefix = new byte[12];
            prefix[10] = (byte) 0xff;
            prefix[11] = (byte) 0xff;
            if (Arrays.equals(bytes, 0, 12, prefix, 0, 12)) {
                try {
                    return Inet4Address.getByAddress(Arrays.copyOfRange(bytes, 12, 16));
                } catch (UnknownHostException e) {
                    throw new AssertionError(e);
                }
            }
        }
        return address;
    }
}
