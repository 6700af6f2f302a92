package dev.wgpr.enforcement;

import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.enforcement.policy.Grant;
import dev.wgpr.enforcement.policy.Listen;
import dev.wgpr.enforcement.policy.PortSet;
import dev.wgpr.enforcement.policy.Protocol;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Turns a {@link Policy} into the entries of one generation's LPM trie (enforcement/DESIGN.md, "One
 * lookup structure").
 *
 * <ul>
 *   <li>App 0 holds the internal set: every internal and every exclusion prefix as an entry of its
 *       own, so the longest match answers "internal?" as routing would. {@code 0.0.0.0/0} (the key
 *       {@code ::ffff:0:0/96}) is always present, so an IPv6 prefix that contains the IPv4-mapped
 *       range (such as {@code ::/0}) never decides an IPv4 destination.
 *   <li>App A holds one entry per grant prefix, whose value is the union of the port sets of all
 *       of A's grants of the same family containing it. The prefixes containing one address form a
 *       chain, so the longest match sees every grant covering the destination. When a v6 grant
 *       contains the IPv4-mapped range, a {@code 0.0.0.0/0} entry with the v4 /0 grants (maybe
 *       none) stops it from granting IPv4 destinations.
 * </ul>
 *
 * One more entry, {@link TrieEntry#generation}, carries the generation's own flags (forwarding), and each
 * app with {@code listen} ports has a {@link TrieEntry#listen} entry. App 0 internal entries carry their
 * tunnel's {@code incoming} setting; an entry that is not internal reads as {@link Incoming#NONE}.
 *
 * <p>Port sets stay exact: at most {@link #MAX_RANGES} disjoint ranges per protocol and entry. A union
 * that needs more is refused with {@link PolicyTooLargeException}, never widened (a bitmap spill map
 * is the documented follow-up).
 */
final class PolicyCompiler {
    /** {@code WGPR_MAX_RANGES} in enforce.bpf.h. */
    public static final int MAX_RANGES = 16;

    private static final IpPrefix V4_ROOT = IpPrefix.parse("0.0.0.0/0");

    private PolicyCompiler() {}

    /** A port union that does not fit one trie value. */
    public static final class PolicyTooLargeException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        PolicyTooLargeException(String message) {
            super(message);
        }
    }

    public static List<TrieEntry> compile(Policy policy) {
        List<TrieEntry> entries = new ArrayList<>();
        Set<IpPrefix> internalKeys = new LinkedHashSet<>(policy.internal().keySet());
        internalKeys.addAll(policy.exclusions());
        internalKeys.add(V4_ROOT);
        for (IpPrefix prefix : internalKeys) {
            boolean excluded = policy.exclusions().contains(prefix);
            Integer peer = policy.internal().get(prefix);
            boolean internal = !excluded && peer != null;
            entries.add(TrieEntry.internalSet(
                    prefix,
                    internal,
                    internal ? peer : 0,
                    internal && policy.bypassed().contains(prefix),
                    internal && policy.excludedAround().contains(prefix),
                    // No flag on an exclusion: the programs read an entry that is not internal as "none".
                    internal ? policy.incomingOf(prefix) : Incoming.APPS));
        }
        policy.listen().forEach((app, listens) -> {
            List<PortSet.Range> tcp = new ArrayList<>();
            List<PortSet.Range> udp = new ArrayList<>();
            for (Listen listen : listens) {
                (listen.protocol() == Protocol.TCP ? tcp : udp)
                        .addAll(listen.ports().ranges());
            }
            IpPrefix where = IpPrefix.parse("::/0");
            entries.add(TrieEntry.listen(
                    app, normalized(app, where, "tcp listen", tcp), normalized(app, where, "udp listen", udp)));
        });
        policy.grants()
                .forEach((app, grants) ->
                        compileApp(app, grants, policy.boundToExecutables().contains(app), entries));
        entries.add(TrieEntry.generation(policy.allowForwarding()));
        return entries;
    }

    private static void compileApp(AppId app, List<Grant> grants, boolean execBound, List<TrieEntry> entries) {
        Map<IpPrefix, List<Grant>> byPrefix = new HashMap<>();
        for (Grant grant : grants) {
            byPrefix.computeIfAbsent(grant.prefix(), p -> new ArrayList<>()).add(grant);
        }
        // Only the lengths some grant has can hold a container: walking those instead of every
        // length 0..128 makes 100,000 host grants compile in well under a second.
        SortedSet<Integer> v4Lengths = new TreeSet<>();
        SortedSet<Integer> v6Lengths = new TreeSet<>();
        for (IpPrefix prefix : byPrefix.keySet()) {
            (prefix.isIpv4() ? v4Lengths : v6Lengths).add(prefix.length());
        }
        Set<IpPrefix> keys = new LinkedHashSet<>(byPrefix.keySet());
        for (IpPrefix prefix : byPrefix.keySet()) {
            if (Policy.containsV4Mapped(prefix)) {
                keys.add(V4_ROOT);
            }
        }
        for (IpPrefix key : keys) {
            List<PortSet.Range> tcp = new ArrayList<>();
            List<PortSet.Range> udp = new ArrayList<>();
            boolean portless = false;
            // Every prefix containing the key: the key masked to each length up to its own.
            for (int length : (key.isIpv4() ? v4Lengths : v6Lengths).headSet(key.length() + 1)) {
                IpPrefix container = length == key.length() ? key : IpPrefix.containing(key.address(), length);
                for (Grant grant : byPrefix.getOrDefault(container, List.of())) {
                    if (grant.protocol().covers(Protocol.TCP)) {
                        tcp.addAll(grant.ports().ranges());
                    }
                    if (grant.protocol().covers(Protocol.UDP)) {
                        udp.addAll(grant.ports().ranges());
                    }
                    portless |=
                            grant.protocol() == Protocol.ANY && grant.ports().isAll();
                }
            }
            entries.add(new TrieEntry(
                    app.value(),
                    key,
                    false,
                    0,
                    normalized(app, key, "tcp", tcp),
                    normalized(app, key, "udp", udp),
                    portless,
                    execBound,
                    false));
        }
    }

    private static List<PortSet.Range> normalized(
            AppId app, IpPrefix key, String protocol, List<PortSet.Range> ranges) {
        if (ranges.isEmpty()) {
            return List.of();
        }
        List<PortSet.Range> union = PortSet.of(ranges).ranges();
        if (union.size() > MAX_RANGES) {
            throw new PolicyTooLargeException(app + ": the " + protocol + " ports granted for " + key
                    + " (the union of the grants containing it) are " + union.size()
                    + " separate ranges; at most " + MAX_RANGES + " fit. Join adjacent grants or split the prefix.");
        }
        return union;
    }
}
