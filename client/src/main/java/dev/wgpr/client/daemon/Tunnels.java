package dev.wgpr.client.daemon;

import dev.wgpr.client.config.AppConfig;
import dev.wgpr.client.config.BadConfigException;
import dev.wgpr.client.config.ConfigProblem;
import dev.wgpr.client.config.Endpoint;
import dev.wgpr.client.config.PeerConfig;
import dev.wgpr.client.config.TunnelConfig;
import dev.wgpr.client.control.Protocol;
import dev.wgpr.client.control.TunnelStatus;
import dev.wgpr.common.net.IpText;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The tunnels one daemon holds, by interface name, brought up by the stages of {@link UpStages} and
 * taken down by unwinding their undos, last first. Ups and downs are serialized: the policy is one for
 * all tunnels.
 */
final class Tunnels {
    private final Pieces pieces;
    private final List<UpStages.Stage> stages;
    private final UpStages.PolicyShares shares;
    private final Reload reload;
    private final Map<String, Active> active = new LinkedHashMap<>();

    /** A tunnel being brought up, or up: what its stages made. */
    static final class Active {
        /** Replaced by a reload. */
        TunnelConfig config;

        final Rollback rollback = new Rollback();
        final Map<String, InetSocketAddress> endpoints = new LinkedHashMap<>();
        final Map<String, Path> appCgroups = new LinkedHashMap<>();
        Optional<Pieces.Device> device = Optional.empty();
        Optional<Pieces.Routing> routing = Optional.empty();
        /** False for tunnels registered by {@link #addWithoutNetwork} (launcher tests only). */
        boolean network = true;

        Active(TunnelConfig config) {
            this.config = config;
        }

        String name() {
            return config.iface().name();
        }
    }

    /** An app a caller may start with {@code wg-pr run}, in the tunnel that names it. */
    record LaunchableApp(String tunnel, AppConfig app, Path cgroup) {}

    Tunnels(Pieces pieces, Instance instance) {
        this.pieces = pieces;
        this.shares = new UpStages.PolicyShares(pieces.enforcement());
        this.stages = UpStages.all(pieces, instance, shares);
        this.reload = new Reload(pieces.enforcement(), shares);
    }

    /** Brings up the tunnel of the config file at {@code source}; returns its interface name. */
    synchronized String up(Path source) throws UpFailedException {
        TunnelConfig config = load(source);
        String name = config.iface().name();
        if (active.containsKey(name)) {
            throw new UpFailedException(
                    UpFailedException.Kind.FAILED, name + " is already up; `wg-pr down " + name + "` first");
        }
        Active tunnel = new Active(config);
        try {
            for (UpStages.Stage stage : stages) {
                stage.apply(tunnel);
                tunnel.rollback.add(stage.what(tunnel), () -> stage.undo(tunnel));
            }
            active.put(name, tunnel);
            tunnel.rollback.add("tunnel " + name + " listed", () -> active.remove(name));
            return name;
        } catch (UpFailedException e) {
            throw withUndoFailures(e, tunnel);
        } catch (IOException | RuntimeException e) {
            throw withUndoFailures(
                    new UpFailedException(UpFailedException.Kind.FAILED, name + ": " + e.getMessage(), e), tunnel);
        }
    }

    /**
     * Brings the tunnel that the config at {@code source} names to that config in place ({@link
     * Reload}); a config with mistakes changes nothing.
     */
    synchronized Reload.Outcome reload(Path source) throws UpFailedException {
        TunnelConfig config = load(source);
        String name = config.iface().name();
        Active tunnel = active.get(name);
        if (tunnel == null || !tunnel.network) {
            throw new UpFailedException(
                    UpFailedException.Kind.FAILED,
                    name + " is not up; `wg-pr up " + source + "` brings it up"
                            + (active.isEmpty() ? "" : " (up: " + String.join(", ", active.keySet()) + ")"));
        }
        return reload.apply(tunnel, config);
    }

    /**
     * Re-decides every tunnel's routing against the kernel's routes now (the underlay changed: a new
     * gateway, a new LAN): bypass host routes follow the server's path, exclusions follow the LAN, and
     * the policy follows the exclusions. Returns what changed, per tunnel, in words.
     */
    synchronized Map<String, List<String>> refreshRouting() {
        Map<String, List<String>> changed = new LinkedHashMap<>();
        for (Active tunnel : active.values()) {
            if (!tunnel.network || tunnel.routing.isEmpty()) {
                continue;
            }
            try {
                Pieces.RoutingUpdate updated = tunnel.routing
                        .get()
                        .update(tunnel.config, UpStages.ResolveEndpoints.addresses(tunnel.endpoints));
                tunnel.routing = Optional.of(updated.routing());
                Pieces.TunnelPolicy policy = InternalSet.policy(
                        tunnel.config,
                        updated.routing().routed(),
                        updated.routing().exclusions());
                List<String> changes = new ArrayList<>(updated.changes());
                if (!shares.get(tunnel.name()).map(policy::equals).orElse(false)) {
                    shares.put(tunnel.name(), policy);
                    changes.add("exclusions now " + updated.routing().exclusions());
                }
                if (!changes.isEmpty()) {
                    changed.put(tunnel.name(), changes);
                }
            } catch (IOException | RuntimeException e) {
                changed.put(tunnel.name(), List.of("re-deciding the routes failed: " + e.getMessage()));
            }
        }
        return changed;
    }

    /**
     * Registers a config's apps for {@code wg-pr run} without any network piece: for the launcher's
     * tests. Nothing grants such an app any network access; it only gets its cgroup.
     */
    synchronized void addWithoutNetwork(TunnelConfig config) throws IOException {
        Active tunnel = new Active(config);
        tunnel.network = false;
        UpStages.AppCgroups cgroups = new UpStages.AppCgroups(pieces.enforcement());
        cgroups.apply(tunnel);
        tunnel.rollback.add(cgroups.what(tunnel), () -> cgroups.undo(tunnel));
        active.put(config.iface().name(), tunnel);
    }

    /** Takes the tunnel down exactly; returns the undo failures (empty when all went). */
    synchronized List<String> down(String name) throws UpFailedException {
        Active tunnel = active.get(name);
        if (tunnel == null) {
            throw new UpFailedException(
                    UpFailedException.Kind.FAILED,
                    name + " is not up"
                            + (active.isEmpty() ? "" : " (up: " + String.join(", ", active.keySet()) + ")"));
        }
        List<String> failures = tunnel.rollback.unwind();
        active.remove(name);
        return failures;
    }

    /** Every tunnel down, the last brought up first (the daemon's orderly stop). */
    synchronized List<String> downAll() {
        List<String> failures = new ArrayList<>();
        List<String> names = new ArrayList<>(active.keySet());
        for (String name : names.reversed()) {
            Active tunnel = active.remove(name);
            failures.addAll(tunnel.rollback.unwind());
        }
        return failures;
    }

    /**
     * The app {@code name}, from tunnel {@code tunnel} when given, else from the one tunnel that names
     * it.
     */
    synchronized LaunchableApp app(String name, Optional<String> tunnel) throws LaunchRefusedException {
        List<LaunchableApp> found = new ArrayList<>();
        for (Active t : active.values()) {
            String tunnelName = t.config.iface().name();
            if (tunnel.isPresent() && !tunnel.get().equals(tunnelName)) {
                continue;
            }
            for (PeerConfig peer : t.config.peers()) {
                for (AppConfig app : peer.allowedApps()) {
                    if (app.name().equals(name)) {
                        found.add(new LaunchableApp(tunnelName, app, t.appCgroups.get(name)));
                    }
                }
            }
        }
        if (found.isEmpty()) {
            throw new LaunchRefusedException(
                    "no tunnel that is up" + tunnel.map(t -> " named " + t).orElse("") + " has an app named " + name,
                    126);
        }
        if (found.size() > 1) {
            throw new LaunchRefusedException(
                    "app " + name + " is in several tunnels ("
                            + found.stream().map(LaunchableApp::tunnel).collect(Collectors.joining(", "))
                            + "); choose one with --tunnel",
                    126);
        }
        return found.getFirst();
    }

    /** The status of every tunnel, for {@code wg-pr status}. */
    synchronized List<TunnelStatus> status() {
        List<TunnelStatus> list = new ArrayList<>();
        active.forEach((name, t) -> list.add(new TunnelStatus(
                name,
                t.config.source().toString(),
                t.network,
                t.config.routeMode().toString(),
                t.config.iface().addresses().stream().map(Object::toString).toList(),
                peerStatus(t),
                t.device.map(Pieces.Device::status).orElse(null),
                // What enters and arrives through the device is judged, or the guard is MISSING (status fails).
                t.device
                        .map(d -> pieces.enforcement().deviceGuarded(d.interfaceName())
                                ? Protocol.BACKSTOP_IN_FORCE
                                : Protocol.BACKSTOP_MISSING)
                        .orElse(null),
                t.routing.map(Pieces.Routing::status).orElse(null),
                appStatus(t))));
        return list;
    }

    private static List<TunnelStatus.Peer> peerStatus(Active t) {
        List<TunnelStatus.Traffic> traffic = t.device.map(Pieces.Device::peers).orElse(List.of());
        List<TunnelStatus.Peer> peers = new ArrayList<>();
        for (PeerConfig peer : t.config.peers()) {
            String key = peer.publicKey().toBase64();
            InetSocketAddress resolved = t.endpoints.get(peer.name());
            TunnelStatus.Peer configured = TunnelStatus.Peer.configured(
                    peer.name(),
                    key,
                    peer.endpoint().map(Endpoint::toString).orElse(null),
                    resolved == null ? null : IpText.of(resolved.getAddress()) + ":" + resolved.getPort(),
                    peer.allowedIPs().stream().map(IpText::of).toList());
            peers.add(traffic.stream()
                    .filter(d -> key.equals(d.publicKey()))
                    .findFirst()
                    .map(configured::with)
                    .orElse(configured));
        }
        return peers;
    }

    private static List<TunnelStatus.App> appStatus(Active t) {
        List<TunnelStatus.App> apps = new ArrayList<>();
        for (PeerConfig peer : t.config.peers()) {
            for (AppConfig app : peer.allowedApps()) {
                Path cgroup = t.appCgroups.get(app.name());
                apps.add(new TunnelStatus.App(
                        app.name(),
                        peer.name(),
                        app.exec().map(Path::toString).orElse(null),
                        app.sha256().orElse(null),
                        app.grants().stream().map(Object::toString).toList(),
                        cgroup == null ? null : cgroup.toString()));
            }
        }
        return apps;
    }

    synchronized boolean isEmpty() {
        return active.isEmpty();
    }

    private static TunnelConfig load(Path source) throws UpFailedException {
        try {
            return TunnelConfig.load(source).config();
        } catch (BadConfigException e) {
            throw new UpFailedException(
                    UpFailedException.Kind.BAD_CONFIG,
                    e.problems().stream().map(ConfigProblem::toString).collect(Collectors.joining("\n")));
        } catch (IOException e) {
            throw new UpFailedException(
                    UpFailedException.Kind.BAD_CONFIG, "cannot read " + source + ": " + e.getMessage());
        }
    }

    private static UpFailedException withUndoFailures(UpFailedException e, Active tunnel) {
        List<String> failures = tunnel.rollback.unwind();
        if (failures.isEmpty()) {
            return e;
        }
        return new UpFailedException(
                e.kind(),
                e.getMessage() + "\nand undoing what was done failed:\n  " + String.join("\n  ", failures),
                e);
    }
}
