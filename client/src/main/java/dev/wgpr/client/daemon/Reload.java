package dev.wgpr.client.daemon;

import dev.wgpr.client.config.AppConfig;
import dev.wgpr.client.config.PeerConfig;
import dev.wgpr.client.config.TunnelConfig;
import dev.wgpr.common.net.IpPrefix;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * {@code wg-pr reload}: a tunnel that is up brought to a new config in place, in an order that never
 * opens a gap:
 *
 * <ol>
 *   <li>the new endpoints resolved, the new apps' cgroups made;
 *   <li>the device given the new keys, port and peers ({@code wg syncconf}: unchanged peers keep their
 *       sessions, so connections of still-authorized apps keep running);
 *   <li>when the routing changes, a guard generation first: the union of the old and new routed
 *       prefixes internal, no exclusions, the new grants (as {@code up}'s guard: nothing newly routed is
 *       ever unguarded; at worst a LAN address is denied for the moment of the switch);
 *   <li>the routes brought to the new config (new ones in before old ones go);
 *   <li>the exact generation, with the exclusions read back from the kernel; publishing it closes the
 *       open connections the new grants no longer allow;
 *   <li>the cgroups of apps the config no longer names removed.
 * </ol>
 *
 * Steps 1 to 5 are all or nothing: when one fails, the ones before are taken back and the tunnel runs
 * on its old config. A config that fails validation never gets here.
 */
final class Reload {
    private final Pieces.EnforcementLayer enforcement;
    private final UpStages.PolicyShares shares;

    Reload(Pieces.EnforcementLayer enforcement, UpStages.PolicyShares shares) {
        this.enforcement = enforcement;
        this.shares = shares;
    }

    /** What a reload changed, in words (empty when the config asked for nothing new). */
    record Outcome(String tunnel, List<String> changes) {
        Outcome {
            changes = List.copyOf(changes);
        }
    }

    Outcome apply(Tunnels.Active tunnel, TunnelConfig next) throws UpFailedException {
        TunnelConfig previous = tunnel.config;
        Map<String, InetSocketAddress> previousEndpoints = Map.copyOf(tunnel.endpoints);
        Map<String, InetSocketAddress> endpoints = UpStages.ResolveEndpoints.resolve(next);
        List<String> changes = new ArrayList<>(describeConfigChanges(previous, next));
        Rollback undo = new Rollback();
        try {
            for (String app : appNames(next)) {
                if (!tunnel.appCgroups.containsKey(app)) {
                    tunnel.appCgroups.put(app, enforcement.acquireApp(app));
                    undo.add("cgroup of app " + app, () -> {
                        tunnel.appCgroups.remove(app);
                        enforcement.releaseApp(app);
                    });
                }
            }

            Pieces.Device device = tunnel.device.orElseThrow();
            device.reconfigure(next, endpoints);
            undo.add("peers of " + tunnel.name(), () -> device.reconfigure(previous, previousEndpoints));

            Pieces.TunnelPolicy policyBefore = shares.get(tunnel.name()).orElseThrow();
            undo.add("policy of " + tunnel.name(), () -> shares.put(tunnel.name(), policyBefore));
            Pieces.Routing routing = tunnel.routing.orElseThrow();
            List<IpPrefix> routedNext = next.routePlan().tunnelPrefixes();
            if (routingChanges(previous, next, previousEndpoints, endpoints)) {
                Set<IpPrefix> guarded = new LinkedHashSet<>(routing.routed());
                guarded.addAll(routedNext);
                shares.put(tunnel.name(), InternalSet.policy(next, List.copyOf(guarded), List.of()));
            }

            Pieces.RoutingUpdate updated = routing.update(next, UpStages.ResolveEndpoints.addresses(endpoints));
            tunnel.routing = Optional.of(updated.routing());
            undo.add("routes of " + tunnel.name(), () -> {
                Pieces.RoutingUpdate back =
                        updated.routing().update(previous, UpStages.ResolveEndpoints.addresses(previousEndpoints));
                tunnel.routing = Optional.of(back.routing());
            });
            changes.addAll(updated.changes());

            Pieces.Routing now = updated.routing();
            shares.put(tunnel.name(), InternalSet.policy(next, now.routed(), now.exclusions()));
        } catch (IOException | RuntimeException e) {
            List<String> failures = undo.unwind();
            String message = tunnel.name() + ": reload failed, the tunnel runs on its previous config: "
                    + e.getMessage()
                    + (failures.isEmpty() ? "" : "\nand putting it back failed:\n  " + String.join("\n  ", failures));
            throw new UpFailedException(UpFailedException.Kind.FAILED, message, e);
        }
        tunnel.config = next;
        tunnel.endpoints.clear();
        tunnel.endpoints.putAll(endpoints);
        changes.addAll(releaseAppsNoLongerNamed(tunnel, next));
        return new Outcome(tunnel.name(), changes);
    }

    /** Removes the cgroups of apps {@code next} no longer names; one whose processes still run stays. */
    private List<String> releaseAppsNoLongerNamed(Tunnels.Active tunnel, TunnelConfig next) {
        List<String> notes = new ArrayList<>();
        Set<String> named = appNames(next);
        for (String app : List.copyOf(tunnel.appCgroups.keySet())) {
            if (named.contains(app)) {
                continue;
            }
            try {
                enforcement.releaseApp(app);
                tunnel.appCgroups.remove(app);
            } catch (IOException | RuntimeException e) {
                notes.add("app " + app + " is gone from the config but its cgroup stays (it has no grants): "
                        + e.getMessage());
            }
        }
        return notes;
    }

    /** Whether the route plan, the endpoints, the addresses or the MTU differ. */
    private static boolean routingChanges(
            TunnelConfig previous,
            TunnelConfig next,
            Map<String, InetSocketAddress> previousEndpoints,
            Map<String, InetSocketAddress> endpoints) {
        return !previous.routePlan().tunnelPrefixes().equals(next.routePlan().tunnelPrefixes())
                || !UpStages.ResolveEndpoints.addresses(previousEndpoints)
                        .equals(UpStages.ResolveEndpoints.addresses(endpoints))
                || !previous.iface().addresses().equals(next.iface().addresses())
                || !previous.iface().mtu().equals(next.iface().mtu());
    }

    private static Set<String> appNames(TunnelConfig config) {
        Set<String> names = new LinkedHashSet<>();
        for (PeerConfig peer : config.peers()) {
            for (AppConfig app : peer.allowedApps()) {
                names.add(app.name());
            }
        }
        return names;
    }

    /** Peers, keys and apps that differ between the two configs, in words. */
    static List<String> describeConfigChanges(TunnelConfig previous, TunnelConfig next) {
        List<String> changes = new ArrayList<>();
        if (!previous.iface().privateKey().equals(next.iface().privateKey())) {
            changes.add("new private key: every session restarts with a new handshake");
        }
        if (!previous.iface().listenPort().equals(next.iface().listenPort())) {
            changes.add("listen port "
                    + (next.iface().listenPort().isPresent()
                            ? String.valueOf(next.iface().listenPort().getAsInt())
                            : "any"));
        }
        Map<String, PeerConfig> before = byKey(previous);
        Map<String, PeerConfig> after = byKey(next);
        after.forEach((key, peer) -> {
            PeerConfig old = before.get(key);
            if (old == null) {
                changes.add("peer " + peer.name() + " added");
            } else if (!sameWireGuardSettings(old, peer)) {
                changes.add("peer " + peer.name() + " changed (its sessions stay)");
            }
        });
        before.forEach((key, peer) -> {
            if (!after.containsKey(key)) {
                changes.add("peer " + peer.name() + " removed");
            }
        });
        Map<String, AppConfig> appsBefore = apps(previous);
        Map<String, AppConfig> appsAfter = apps(next);
        appsAfter.forEach((name, app) -> {
            AppConfig old = appsBefore.get(name);
            if (old == null) {
                changes.add("app " + name + " added: " + app.grants());
            } else if (!old.equals(app)) {
                changes.add("app " + name + " now " + app.grants() + " (was " + old.grants() + ")");
            }
        });
        appsBefore.keySet().stream()
                .filter(name -> !appsAfter.containsKey(name))
                .forEach(name -> changes.add("app " + name + " removed"));
        return changes;
    }

    private static boolean sameWireGuardSettings(PeerConfig a, PeerConfig b) {
        return Objects.equals(a.presharedKey(), b.presharedKey())
                && Objects.equals(a.endpoint(), b.endpoint())
                && Objects.equals(a.allowedIPs(), b.allowedIPs())
                && Objects.equals(a.persistentKeepalive(), b.persistentKeepalive());
    }

    private static Map<String, PeerConfig> byKey(TunnelConfig config) {
        Map<String, PeerConfig> peers = new LinkedHashMap<>();
        config.peers().forEach(peer -> peers.put(peer.publicKey().toBase64(), peer));
        return peers;
    }

    private static Map<String, AppConfig> apps(TunnelConfig config) {
        Map<String, AppConfig> apps = new LinkedHashMap<>();
        config.peers().forEach(peer -> peer.allowedApps().forEach(app -> apps.put(app.name(), app)));
        return apps;
    }
}
