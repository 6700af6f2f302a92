package dev.wgpr.client.daemon;

import dev.wgpr.client.config.AppConfig;
import dev.wgpr.client.config.OthersSetting;
import dev.wgpr.client.config.PeerConfig;
import dev.wgpr.client.config.TunnelConfig;
import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.enforcement.policy.Grant;
import dev.wgpr.enforcement.policy.Listen;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** How one tunnel's config and its routes become its share of the policy ({@link Pieces.TunnelPolicy}). */
final class InternalSet {
    private InternalSet() {}

    /**
     * The internal prefixes of a tunnel: the prefixes routed into it, plus each peer's more specific
     * allowedIPs (so that a destination is attributed to the peer whose allowedIPs hold it most
     * specifically); each with the name of that peer.
     */
    static Map<IpPrefix, String> of(TunnelConfig config, List<IpPrefix> routed) {
        Map<IpPrefix, String> internal = new LinkedHashMap<>();
        for (IpPrefix prefix : routed) {
            internal.put(prefix, owner(config, prefix));
        }
        for (PeerConfig peer : config.peers()) {
            for (IpPrefix allowed : peer.allowedIPs()) {
                boolean routedHere = routed.stream().anyMatch(r -> r.contains(allowed));
                if (allowed.length() > 0 && routedHere && !internal.containsKey(allowed)) {
                    internal.put(allowed, owner(config, allowed));
                }
            }
        }
        return internal;
    }

    /** The tunnel's policy share: internal set from {@code routed}, {@code exclusions}, and the grants. */
    static Pieces.TunnelPolicy policy(TunnelConfig config, List<IpPrefix> routed, List<IpPrefix> exclusions) {
        Map<String, List<Grant>> grants = new LinkedHashMap<>();
        Map<String, List<Path>> executables = new LinkedHashMap<>();
        Map<String, List<Listen>> listen = new LinkedHashMap<>();
        for (PeerConfig peer : config.peers()) {
            for (AppConfig app : peer.allowedApps()) {
                if (!app.listen().isEmpty()) {
                    listen.computeIfAbsent(app.name(), name -> new ArrayList<>())
                            .addAll(app.listen());
                }
                // An app under two peers has the grants of both.
                grants.computeIfAbsent(app.name(), name -> new ArrayList<>()).addAll(app.grants());
                if (app.children() == AppConfig.Children.SAME_EXEC) {
                    List<Path> programs = executables.computeIfAbsent(app.name(), name -> new ArrayList<>());
                    app.exec().ifPresent(programs::add);
                    programs.addAll(app.allowExec());
                }
            }
        }
        return new Pieces.TunnelPolicy(
                config.iface().name(),
                of(config, routed),
                exclusions,
                grants,
                executables,
                config.iface().others() == OthersSetting.BYPASS,
                !config.iface().excludedApps().isEmpty(),
                listen,
                config.iface().incoming());
    }

    /** The peer whose allowedIPs contain {@code prefix} most specifically (the first peer if none does). */
    private static String owner(TunnelConfig config, IpPrefix prefix) {
        String best = config.peers().getFirst().name();
        int bestLength = -1;
        for (PeerConfig peer : config.peers()) {
            for (IpPrefix allowed : peer.allowedIPs()) {
                if (allowed.contains(prefix) && allowed.length() > bestLength) {
                    best = peer.name();
                    bestLength = allowed.length();
                }
            }
        }
        return best;
    }
}
