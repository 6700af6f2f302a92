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
     * The inbound decision (enforcement/DESIGN.md, "Incoming"): a packet that arrived through a tunnel, about
     * to be queued on a socket of the tunnel's namespace.
     *
     * @param socket whether a socket receives it (none: the kernel answers, and the backstop judges that)
     * @param listening whether that socket is a listening TCP socket
     * @param app the app of the socket's cgroup, empty when it is no app
     * @param source the remote end (WireGuard delivers only sources in the sending peer's allowedIPs)
     * @param protocol {@link Protocol#ANY} for protocols without ports and non-first fragments
     * @param sourcePort the remote port (what a grant covers for replies)
     * @param localPort the port it arrives at (what {@code listen} names)
     */
    public static Decision decideInbound(
            Policy policy,
            boolean socket,
            boolean listening,
            Optional<AppId> app,
            InetAddress source,
            Protocol protocol,
            int sourcePort,
            int localPort) {
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(app, "app");
        if (!socket) {
            return Decision.DENY_NO_APP;
        }
        InetAddress src = unmapped(source);
        // The replies to the app's own traffic: judged by its grants, as before, in every setting.
        int effectivePort = protocol == Protocol.ANY ? 0 : sourcePort;
        if (app.isPresent() && !listening) {
            for (Grant grant : policy.grantsOf(app.get())) {
                if (grant.covers(src, protocol, effectivePort)) {
                    return Decision.ALLOW_INTERNAL;
                }
            }
        }
        if (opensTo(policy, app, src, protocol, localPort)) {
            return Decision.ALLOW_INCOMING;
        }
        if (listening) {
            return Decision.DENY_LISTENING;
        }
        return app.isEmpty() ? Decision.DENY_NO_APP : Decision.DENY_NO_GRANT;
    }

    /**
     * The outgoing half of incoming (enforcement/DESIGN.md, "Incoming", "The answers"): whether a socket of
     * {@code app} (empty: no app) on local port {@code localPort} may send to {@code destination} because the
     * tunnel's {@code incoming} setting opens that socket to it: an accepted connection's segments, a UDP
     * listener's answers, the kernel's echo replies. The sock_addr hooks and the backstop allow what {@link
     * #decide} or {@link #decideTunnel} deny when this is {@link Decision#ALLOW_INCOMING}; it does not judge
     * anything else.
     *
     * @param answering whether the packet answers the remote: for UDP, the remote's port wrote to {@code
     *     localPort} through the tunnel within the last 180 seconds; for protocols without ports, it is no
     *     echo request; TCP, always (a connect is judged by its hook: only an accepted connection sends
     *     here). Without it the setting opens nothing: "all" is about being reached, never about sending
     *     first.
     * @return {@link Decision#ALLOW_INCOMING}, or empty when the setting does not open the socket
     */
    public static Optional<Decision> decideAnswer(
            Policy policy,
            Optional<AppId> app,
            InetAddress destination,
            Protocol protocol,
            int localPort,
            boolean answering) {
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(app, "app");
        return answering && opensTo(policy, app, unmapped(destination), protocol, localPort)
                ? Optional.of(Decision.ALLOW_INCOMING)
                : Optional.empty();
    }

    /**
     * Whether the {@code incoming} setting of the tunnel {@code remote} belongs to opens the socket of {@code
     * app} on {@code localPort} to {@code remote}: "all" every socket, "apps" an app's listen port when one
     * of its grant prefixes holds the remote address (whatever that grant's ports), "none" nothing.
     */
    private static boolean opensTo(
            Policy policy, Optional<AppId> app, InetAddress remote, Protocol protocol, int localPort) {
        return switch (incomingOf(policy, remote)) {
            case NONE -> false;
            case ALL -> true;
            case APPS ->
                app.isPresent()
                        && protocol != Protocol.ANY
                        && policy.listenOf(app.get()).stream().anyMatch(listen -> listen.holds(protocol, localPort))
                        && policy.grantsOf(app.get()).stream()
                                .anyMatch(grant -> grant.prefix().contains(remote));
        };
    }

    /**
     * The {@code incoming} setting for a remote address: that of the tunnel whose internal prefix is the
     * longest match of {@code remote}, {@link Incoming#NONE} when an exclusion is (the LAN inside a full
     * tunnel: no peer's) or nothing holds it.
     */
    static Incoming incomingOf(Policy policy, InetAddress remote) {
        Optional<IpPrefix> longest = longestInternal(policy, remote);
        if (longest.isEmpty() || !isInternal(policy, remote)) {
            return Incoming.NONE;
        }
        return policy.incomingOf(longest.get());
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
