package dev.wgpr.enforcement;

import java.util.Locale;

/** The hooks enforce.bpf.c attaches to ({@code WGPR_HOOK_*}), with their program names. */
public enum Hook {
    CONNECT4("wgpr_connect4"),
    CONNECT6("wgpr_connect6"),
    SENDMSG4("wgpr_sendmsg4"),
    SENDMSG6("wgpr_sendmsg6"),
    /** Layer 2: the tc-egress backstop on the tunnel device ({@link Enforcer#attachTunnel(int)}). */
    TUNNEL("wgpr_tunnel_egress"),
    /**
     * Layer 3: cgroup_skb ingress at the cgroup2 root, judging what arrived through a tunnel by the
     * socket it is for (with {@code wgpr_tunnel_tag} on each tunnel device's tc ingress).
     */
    INBOUND("wgpr_inbound"),
    /**
     * cgroup/sock_create at the cgroup2 root: marks the sockets of processes that go around a bypass
     * tunnel ({@link Enforcer#steerOthers}); never denies, emits no events.
     */
    SOCK_CREATE("wgpr_sock_create");

    /** Which enforcement layer a hook belongs to. */
    public enum Layer {
        /** cgroup sock_addr hooks at the cgroup2 root: the early decision, EPERM to the caller. */
        SOCK_ADDR,
        /** tc egress on the tunnel device: judges each packet by its socket's cgroup, drops. */
        BACKSTOP,
        /** cgroup_skb ingress at the cgroup2 root: packets from a tunnel, judged by the receiving socket. */
        INBOUND,
        /** cgroup sock_create at the cgroup2 root: steers sockets by a mark, decides nothing. */
        SOCKET_MARK
    }

    private final String program;

    Hook(String program) {
        this.program = program;
    }

    /** The C function (program) name in enforce.bpf.c. */
    public String program() {
        return program;
    }

    public Layer layer() {
        return switch (this) {
            case TUNNEL -> Layer.BACKSTOP;
            case INBOUND -> Layer.INBOUND;
            case SOCK_CREATE -> Layer.SOCKET_MARK;
            default -> Layer.SOCK_ADDR;
        };
    }

    /** Whether the hook is a program linked to a cgroup (the rest are tc filters on tunnel devices). */
    boolean cgroupLinked() {
        return this != TUNNEL;
    }

    /** The pin name of this hook's link (or, for the backstop, of its program). */
    String pinName() {
        return this == TUNNEL ? "prog_tunnel" : "link_" + name().toLowerCase(Locale.ROOT);
    }

    static Hook ofNumber(int number) {
        Hook[] all = values();
        return number >= 1 && number <= all.length ? all[number - 1] : null;
    }
}
