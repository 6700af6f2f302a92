package dev.wgpr.enforcement;

/** The per-CPU counters of enforce.bpf.c ({@code WGPR_C_*}), in index order. */
public enum Counter {
    /** Allowed: no tunnel namespace configured yet. */
    UNCONFIGURED,
    /** Allowed without judging: not the tunnel's network namespace. */
    OTHER_NETNS,
    /** Allowed: the destination is not internal. */
    EXTERNAL,
    /** Allowed: internal and granted. */
    ALLOW_INTERNAL,
    /** Denied: internal, the caller is no app. */
    DENY_NO_APP,
    /** Denied: internal, no grant of the caller's app covers it. */
    DENY_NO_GRANT,
    /** Denied: no generation is published (fail closed). */
    DENY_NO_POLICY,
    /** Deny events dropped because the ring buffer was full. */
    EVENTS_LOST,
    /** Backstop: packets let into the tunnel. */
    TUNNEL_PASS,
    /** Backstop, denied: a packet without a socket (forwarded) while the policy forbids forwarding. */
    DENY_FORWARDED,
    /** Backstop or inbound, denied: not IPv4/IPv6, or headers it cannot read (fail closed). */
    DENY_MALFORMED,
    /** Inbound: packets from a tunnel let through to a socket of an app whose grant covers the sender. */
    INBOUND_PASS,
    /** Inbound, denied: a packet from a tunnel to a listening socket (incoming connections are closed). */
    DENY_LISTENING,
    /** Deny events not emitted because their source (cgroup, address, port, protocol, hook) had five this second. */
    EVENTS_SUPPRESSED,
    /**
     * Denied: internal, the caller is in an app's cgroup but runs none of the executables the app's
     * grants are bound to (a shell, a helper, an interpreter's other program, a memfd).
     */
    DENY_FOREIGN_EXEC,
    /**
     * Allowed: internal to a tunnel whose others bypass it, and the caller is no app: its socket is marked
     * and routing takes it through the underlay.
     */
    BYPASSED,
    /**
     * Denied once: an app's datagram on its own socket that carries the steering's mark, which a process
     * that is no app (or an excluded app) the app handed the socket to left on it by going around; the
     * mark is cleared, so the app's next datagram goes through the tunnel, not in clear by the underlay.
     */
    DENY_APP_MARKED,
    /**
     * Denied: a process that is no app, or an excluded app, used an app's socket (handed to it) to go around
     * a tunnel; marked for the underlay, the socket would carry the app's own traffic there in clear.
     */
    DENY_APP_SOCKET;

    static Counter ofIndex(int index) {
        Counter[] all = values();
        return index >= 0 && index < all.length ? all[index] : null;
    }
}
