package dev.wgpr.enforcement;

import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.enforcement.policy.PortSet;
import java.util.List;

/**
 * One entry of a generation's LPM trie, before encoding ({@link KernelLayout}).
 *
 * @param app 0 for the internal set, else the app id whose grants this entry holds
 * @param prefix IPv4 prefixes are keyed as {@code ::ffff:a.b.c.d/(96+n)}
 * @param internal app 0 entries: whether the prefix is routed into the tunnel
 * @param peer app 0 internal entries: the peer the prefix belongs to
 * @param tcp app entries: the TCP ports granted (union of the containing grants), normalized
 * @param udp the same for UDP
 * @param portless app entries: whether protocols without ports are granted
 * @param execBound app entries: granted only to processes running one of the app's executables
 * @param forward the generation entry ({@link #GENERATION_APP}): forwarded traffic may enter the
 *     tunnel
 * @param bypass app 0 internal entries: the prefix's tunnel lets non-apps go around it (others = bypass)
 * @param aroundExcluded app 0 internal entries: excluded apps go around it
 * @param incoming app 0 internal entries: the {@code incoming} setting of the prefix's tunnel
 */
record TrieEntry(
        int app,
        IpPrefix prefix,
        boolean internal,
        int peer,
        List<PortSet.Range> tcp,
        List<PortSet.Range> udp,
        boolean portless,
        boolean execBound,
        boolean forward,
        boolean bypass,
        boolean aroundExcluded,
        Incoming incoming) {
    /**
     * The app of the one generation entry ({@code WGPR_GENERATION_APP}, 0xffffffff): its key is
     * {@code {32, 0xffffffff, ::}}, so no app's lookup can reach it (app ids are positive ints).
     */
    public static final int GENERATION_APP = -1;

    /**
     * {@code WGPR_LISTEN_KEY}: app {@code A}'s listen entry is keyed {@code {32, A | LISTEN_KEY, ::}}; its
     * tcp and udp ranges are the local ports A's listeners may be reached on (enforcement/DESIGN.md,
     * "Incoming"). App ids stay below it.
     */
    public static final int LISTEN_KEY = 0x2000_0000;

    private static final IpPrefix EVERYTHING_V6 = IpPrefix.parse("::/0");

    public TrieEntry(
            int app,
            IpPrefix prefix,
            boolean internal,
            int peer,
            List<PortSet.Range> tcp,
            List<PortSet.Range> udp,
            boolean portless,
            boolean execBound,
            boolean forward,
            boolean bypass,
            boolean aroundExcluded) {
        this(
                app,
                prefix,
                internal,
                peer,
                tcp,
                udp,
                portless,
                execBound,
                forward,
                bypass,
                aroundExcluded,
                Incoming.APPS);
    }

    public TrieEntry(
            int app,
            IpPrefix prefix,
            boolean internal,
            int peer,
            List<PortSet.Range> tcp,
            List<PortSet.Range> udp,
            boolean portless,
            boolean execBound,
            boolean forward) {
        this(app, prefix, internal, peer, tcp, udp, portless, execBound, forward, false, false, Incoming.APPS);
    }

    public TrieEntry {
        tcp = List.copyOf(tcp);
        udp = List.copyOf(udp);
    }

    public TrieEntry(
            int app,
            IpPrefix prefix,
            boolean internal,
            int peer,
            List<PortSet.Range> tcp,
            List<PortSet.Range> udp,
            boolean portless) {
        this(app, prefix, internal, peer, tcp, udp, portless, false, false);
    }

    /** The generation entry: flags of the whole generation, switched with it. */
    static TrieEntry generation(boolean forward) {
        return new TrieEntry(GENERATION_APP, EVERYTHING_V6, false, 0, List.of(), List.of(), false, false, forward);
    }

    static TrieEntry internalSet(IpPrefix prefix, boolean internal, int peer, boolean bypass, boolean aroundExcluded) {
        return internalSet(prefix, internal, peer, bypass, aroundExcluded, Incoming.APPS);
    }

    static TrieEntry internalSet(
            IpPrefix prefix, boolean internal, int peer, boolean bypass, boolean aroundExcluded, Incoming incoming) {
        return new TrieEntry(
                0, prefix, internal, peer, List.of(), List.of(), false, false, false, bypass, aroundExcluded, incoming);
    }

    /** The listen entry of {@code app}: the local ports of its listeners, per protocol. */
    static TrieEntry listen(AppId app, List<PortSet.Range> tcp, List<PortSet.Range> udp) {
        if ((app.value() & LISTEN_KEY) != 0) {
            throw new IllegalArgumentException(app + " is too large to have listen ports");
        }
        return new TrieEntry(app.value() | LISTEN_KEY, EVERYTHING_V6, false, 0, tcp, udp, false, false, false);
    }
}
