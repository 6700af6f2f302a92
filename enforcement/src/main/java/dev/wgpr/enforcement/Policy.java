package dev.wgpr.enforcement;

import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.enforcement.policy.Grant;
import dev.wgpr.enforcement.policy.Listen;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One immutable generation of policy for a tunnel namespace.
 *
 * @param internal the prefixes routed into the tunnel, each with the peer (index) whose allowedIPs
 *     it comes from
 * @param exclusions more specific prefixes that routing sends elsewhere (LAN, loopback, the server's
 *     bypass route); an exclusion wins over an internal prefix of the same length
 * @param grants each app's grants
 * @param allowForwarding whether packets without a sending socket (forwarded: containers, VMs, other
 *     hosts when IP forwarding is on) may enter the tunnel; default off, checked by the tc backstop
 * @param boundToExecutables the apps whose grants reach only processes running one of the app's
 *     executables (the enforcer's {@code app_execs}), not every process in the app's cgroup
 * @param bypassed the internal prefixes of tunnels whose others bypass them ({@code others = "bypass"}):
 *     a caller that is no app is allowed there and goes through the underlay (enforcement/DESIGN.md,
 *     "Modes"); every prefix here is in {@code internal}
 * @param excludedAround the internal prefixes excluded apps ({@link AppId#isExcluded}) go around through
 *     the underlay: every bypassed prefix, and the default route's parts of a deny tunnel with excluded
 *     apps (its specific internal prefixes stay denied to them); every prefix here is in {@code internal}
 * @param listen each app's listeners that its tunnel's peers may reach (enforcement/DESIGN.md, "Incoming")
 * @param incoming the internal prefixes of tunnels whose {@code incoming} is not {@link Incoming#APPS}, with
 *     their setting; every prefix here is in {@code internal}, and one not here is {@link Incoming#APPS}
 */
public record Policy(
        Map<IpPrefix, Integer> internal,
        Set<IpPrefix> exclusions,
        Map<AppId, List<Grant>> grants,
        boolean allowForwarding,
        Set<AppId> boundToExecutables,
        Set<IpPrefix> bypassed,
        Set<IpPrefix> excludedAround,
        Map<AppId, List<Listen>> listen,
        Map<IpPrefix, Incoming> incoming) {
    public static final Policy EMPTY = new Policy(Map.of(), Set.of(), Map.of());

    /** A policy that does not let forwarded traffic into the tunnel, with no grant bound to executables. */
    public Policy(Map<IpPrefix, Integer> internal, Set<IpPrefix> exclusions, Map<AppId, List<Grant>> grants) {
        this(internal, exclusions, grants, false, Set.of());
    }

    /** A policy whose tunnels all deny their prefixes to non-apps (no bypass). */
    public Policy(
            Map<IpPrefix, Integer> internal,
            Set<IpPrefix> exclusions,
            Map<AppId, List<Grant>> grants,
            boolean allowForwarding,
            Set<AppId> boundToExecutables) {
        this(internal, exclusions, grants, allowForwarding, boundToExecutables, Set.of(), Set.of());
    }

    /** A policy whose apps listen on nothing, every tunnel {@code incoming = "apps"}. */
    public Policy(
            Map<IpPrefix, Integer> internal,
            Set<IpPrefix> exclusions,
            Map<AppId, List<Grant>> grants,
            boolean allowForwarding,
            Set<AppId> boundToExecutables,
            Set<IpPrefix> bypassed,
            Set<IpPrefix> excludedAround) {
        this(
                internal,
                exclusions,
                grants,
                allowForwarding,
                boundToExecutables,
                bypassed,
                excludedAround,
                Map.of(),
                Map.of());
    }

    public Policy {
        internal = unmodifiable(new TreeMap<>(internal));
        exclusions = Set.copyOf(new TreeSet<>(exclusions));
        boundToExecutables = Set.copyOf(new TreeSet<>(boundToExecutables));
        bypassed = Set.copyOf(new TreeSet<>(bypassed));
        excludedAround = Set.copyOf(new TreeSet<>(excludedAround));
        for (IpPrefix prefix : bypassed) {
            if (!internal.containsKey(prefix)) {
                throw new IllegalArgumentException("bypassed " + prefix + " is no internal prefix");
            }
        }
        for (IpPrefix prefix : excludedAround) {
            if (!internal.containsKey(prefix)) {
                throw new IllegalArgumentException("excluded apps' " + prefix + " is no internal prefix");
            }
        }
        for (IpPrefix prefix : incoming.keySet()) {
            if (!internal.containsKey(prefix)) {
                throw new IllegalArgumentException("incoming of " + prefix + ": no internal prefix");
            }
        }
        incoming = unmodifiable(new TreeMap<>(incoming));
        listen = copyPerApp(listen);
        grants = copyPerApp(grants);
        // IPv4-mapped IPv6 prefixes cannot be written: IpPrefix parses ::ffff:a.b.c.d as IPv4, so
        // the IPv4 and IPv6 keys of the trie never collide.
        internal.values().forEach(peer -> {
            if (peer < 0 || peer > 0xffff) {
                throw new IllegalArgumentException("peer index " + peer + " is outside 0..65535");
            }
        });
    }

    /** The grants of {@code app}, none when the policy does not name it. */
    public List<Grant> grantsOf(AppId app) {
        return grants.getOrDefault(app, List.of());
    }

    /** The listeners of {@code app} its tunnel's peers may reach, none when the policy does not name it. */
    public List<Listen> listenOf(AppId app) {
        return listen.getOrDefault(app, List.of());
    }

    /** The {@code incoming} setting of the tunnel that routes {@code prefix} (an internal prefix). */
    public Incoming incomingOf(IpPrefix prefix) {
        return incoming.getOrDefault(prefix, Incoming.APPS);
    }

    /** A builder, for tests and for the config layer. */
    public static Builder builder() {
        return new Builder();
    }

    /** An unmodifiable copy of a list per app, in the apps' order. */
    private static <T> Map<AppId, List<T>> copyPerApp(Map<AppId, List<T>> perApp) {
        Map<AppId, List<T>> copy = new TreeMap<>();
        perApp.forEach((app, list) -> copy.put(app, List.copyOf(list)));
        return unmodifiable(copy);
    }

    private static <K, V> Map<K, V> unmodifiable(Map<K, V> map) {
        return Collections.unmodifiableMap(new LinkedHashMap<>(map));
    }

    /**
     * Whether the IPv6 prefix {@code prefix} contains the IPv4-mapped range {@code ::ffff:0:0/96}
     * (as {@code ::/0} does); IPv4 destinations must never be judged by such a prefix.
     */
    public static boolean containsV4Mapped(IpPrefix prefix) {
        if (prefix.isIpv4() || prefix.length() > 96) {
            return false;
        }
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        byte[] address = prefix.address().getAddress();
        for (int bit = 0; bit < prefix.length(); bit++) {
            int mask = 0x80 >>> (bit % 8);
            if ((address[bit / 8] & mask) != (mapped[bit / 8] & mask)) {
                return false;
            }
        }
        return true;
    }

    public static final class Builder {
        private final Map<IpPrefix, Integer> internal = new TreeMap<>();
        private final Set<IpPrefix> exclusions = new TreeSet<>();
        private final Map<AppId, List<Grant>> grants = new TreeMap<>();
        private boolean allowForwarding;
        private final Set<AppId> boundToExecutables = new TreeSet<>();
        private final Set<IpPrefix> bypassed = new TreeSet<>();
        private final Set<IpPrefix> excludedAround = new TreeSet<>();
        private final Map<AppId, List<Listen>> listen = new TreeMap<>();
        private final Map<IpPrefix, Incoming> incoming = new TreeMap<>();

        public Builder internal(String prefix, int peer) {
            internal.put(IpPrefix.parse(prefix), peer);
            return this;
        }

        public Builder internal(IpPrefix prefix, int peer) {
            internal.put(prefix, peer);
            return this;
        }

        /** An internal prefix whose non-app callers go around the tunnel ({@link Policy#bypassed}). */
        public Builder bypass(String prefix, int peer) {
            return bypass(IpPrefix.parse(prefix), peer);
        }

        public Builder bypass(IpPrefix prefix, int peer) {
            internal.put(prefix, peer);
            bypassed.add(prefix);
            excludedAround.add(prefix);
            return this;
        }

        /** An internal prefix that excluded apps go around and non-apps are denied ({@link Policy#excludedAround}). */
        public Builder aroundForExcluded(String prefix, int peer) {
            return aroundForExcluded(IpPrefix.parse(prefix), peer);
        }

        public Builder aroundForExcluded(IpPrefix prefix, int peer) {
            internal.put(prefix, peer);
            excludedAround.add(prefix);
            return this;
        }

        public Builder exclude(String prefix) {
            exclusions.add(IpPrefix.parse(prefix));
            return this;
        }

        public Builder exclude(IpPrefix prefix) {
            exclusions.add(prefix);
            return this;
        }

        public Builder grant(AppId app, String grant) {
            return grant(app, Grant.parse(grant));
        }

        public Builder grant(AppId app, Grant grant) {
            grants.computeIfAbsent(app, a -> new ArrayList<>()).add(grant);
            return this;
        }

        /** Lets forwarded traffic (no sending socket) into the tunnel; off by default. */
        public Builder allowForwarding(boolean allow) {
            this.allowForwarding = allow;
            return this;
        }

        /** Lets the tunnel's peers reach {@code app}'s listeners of {@code listen} ({@code tcp/8080}). */
        public Builder listen(AppId app, String listen) {
            return listen(app, Listen.parse(listen));
        }

        public Builder listen(AppId app, Listen listen) {
            this.listen.computeIfAbsent(app, a -> new ArrayList<>()).add(listen);
            return this;
        }

        /** The {@code incoming} setting of the tunnel that routes {@code prefix}, an internal prefix. */
        public Builder incoming(String prefix, Incoming setting) {
            return incoming(IpPrefix.parse(prefix), setting);
        }

        public Builder incoming(IpPrefix prefix, Incoming setting) {
            incoming.put(prefix, setting);
            return this;
        }

        /** Binds {@code app}'s grants to the app's executables (see {@link Policy#boundToExecutables}). */
        public Builder bindToExecutables(AppId app) {
            boundToExecutables.add(app);
            return this;
        }

        public Policy build() {
            return new Policy(
                    internal,
                    exclusions,
                    grants,
                    allowForwarding,
                    boundToExecutables,
                    bypassed,
                    excludedAround,
                    listen,
                    incoming);
        }
    }
}
