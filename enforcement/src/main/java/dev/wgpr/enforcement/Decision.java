package dev.wgpr.enforcement;

/** What the decision function answers, with the reason; the kernel counts the same reasons. */
public enum Decision {
    /** The destination is not internal: routing does not send it into the tunnel. */
    ALLOW_EXTERNAL(true),
    /** Internal, and a grant of the caller's app covers protocol and port. */
    ALLOW_INTERNAL(true),
    /**
     * Internal to a tunnel whose others bypass it, and the caller is no app: allowed, through the underlay
     * (the socket is marked and the instance's rule routes it as if the tunnel were not up).
     */
    ALLOW_BYPASS(true),
    /** Internal, and the caller is no app. */
    DENY_NO_APP(false),
    /** Internal, and no grant of the caller's app covers it. */
    DENY_NO_GRANT(false),
    /** Backstop: a packet without a socket (forwarded), and the policy allows forwarding. */
    ALLOW_FORWARDED(true),
    /** Backstop: a packet without a socket (forwarded), and the policy does not allow forwarding. */
    DENY_FORWARDED(false),
    /**
     * Inbound or its answer: from or to the tunnel's peers, on a listener its {@code incoming} setting opens
     * (an app's {@code listen} port in an "apps" tunnel; any socket in an "all" one).
     */
    ALLOW_INCOMING(true),
    /** Inbound: to a listening socket that the tunnel's {@code incoming} setting does not open. */
    DENY_LISTENING(false);

    private final boolean allowed;

    Decision(boolean allowed) {
        this.allowed = allowed;
    }

    public boolean allowed() {
        return allowed;
    }
}
