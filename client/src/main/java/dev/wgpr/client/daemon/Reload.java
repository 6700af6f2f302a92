package dev.wgpr.client.daemon;

import dev.wgpr.client.config.AppConfig;
import dev.wgpr.client.config.PeerConfig;
import dev.wgpr.client.config.TunnelConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * {@code wg-pr reload}: a tunnel that is up brought to a new config in place, by the reconcile of
 * {@link UpStages} that also brings tunnels up, in an order that never opens a gap: the new endpoints
 * resolved first; the device given the new keys, port and peers ({@code wg syncconf}: unchanged peers
 * keep their sessions, so connections of still-authorized apps keep running); when the routing
 * changes, a guard generation with the old and new routed prefixes internal; the new apps' cgroups;
 * the routes (new ones in before old ones go); the exact generation, whose publishing closes the open
 * connections the new grants no longer allow; last, the cgroups of apps the config no longer names.
 *
 * <p>All but the last step are all or nothing: when one fails, the ones before are taken back and the
 * tunnel runs on its old config. A config that fails validation never gets here.
 */
final class Reload {
    private final List<UpStages.Stage> stages;

    Reload(List<UpStages.Stage> stages) {
        this.stages = stages;
    }

    /** What a reload changed, in words (empty when the config asked for nothing new). */
    record Outcome(String tunnel, List<String> changes) {
        Outcome {
            changes = List.copyOf(changes);
        }
    }

    Outcome apply(Tunnels.Active tunnel, TunnelConfig next) throws UpFailedException {
        UpStages.Target target = UpStages.Target.resolving(next);
        List<String> changes = new ArrayList<>(describeConfigChanges(tunnel.config, next));
        try {
            changes.addAll(UpStages.reconcile(stages, tunnel, target));
        } catch (UpStages.ReconcileFailed e) {
            String message = tunnel.name() + ": reload failed, the tunnel runs on its previous config: "
                    + e.getMessage()
                    + Tunnels.listed("\nand putting it back failed:", e.undoFailures());
            throw new UpFailedException(UpFailedException.Kind.FAILED, message, e.getCause());
        }
        return new Outcome(tunnel.name(), changes);
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
