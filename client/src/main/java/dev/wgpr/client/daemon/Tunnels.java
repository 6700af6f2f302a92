package dev.wgpr.client.daemon;

import dev.wgpr.client.config.AppConfig;
import dev.wgpr.client.config.DnsConfig;
import dev.wgpr.client.config.Endpoint;
import dev.wgpr.client.config.ExcludedAppConfig;
import dev.wgpr.client.config.PeerConfig;
import dev.wgpr.client.config.TunnelConfig;
import dev.wgpr.client.control.Protocol;
import dev.wgpr.client.control.TunnelStatus;
import dev.wgpr.client.dns.DnsForwarder;
import dev.wgpr.common.net.IpText;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The tunnels one daemon holds, by interface name, each brought to its config by one reconcile over
 * the stages of {@link UpStages}: from nothing by {@code up}, to an edited config by {@code reload},
 * and to the kernel's routes now when the underlay changes; {@code down} takes every stage's part
 * away, last first. All of it is serialized: the policy is one for all tunnels.
 */
final class Tunnels {
    private final Pieces pieces;
    private final List<UpStages.Stage> stages;
    private final Reload reload;
    private final Map<String, Active> active = new LinkedHashMap<>();

    /** A tunnel being brought up, or up: what its stages made. */
    static final class Active {
        /** The config in force; replaced by a reload. */
        TunnelConfig config;

        /** The endpoints in force, by peer name. */
        final Map<String, InetSocketAddress> endpoints = new LinkedHashMap<>();

        final Map<String, Path> appCgroups = new LinkedHashMap<>();
        Optional<Pieces.Device> device = Optional.empty();
        Optional<Pieces.Routing> routing = Optional.empty();
        /** What the host's resolver was told about the tunnel's DNS. */
        Optional<UpStages.HostDns.Applied> hostDns = Optional.empty();

        Optional<DnsForwarder> dns = Optional.empty();
        /** What the DNS forwarder serves, kept while it is stopped for a restart; null without DNS. */
        DnsForwarder.Plan dnsPlan;
        /** The resolv.conf naming the forwarder's apps face, which the tunnel's apps see as /etc/resolv.conf. */
        Path dnsView;
        /** Whether this tunnel holds a reference to the daemon's DNS identity in the enforcement. */
        boolean dnsIdentity;

        boolean guarded;
        /** False for tunnels registered by {@link #addWithoutNetwork} (launcher tests only). */
        boolean network = true;

        /** The resolv.conf the tunnel's apps see, naming the forwarder's apps face; empty without one. */
        Optional<Path> resolverView() {
            return dns.isPresent() ? Optional.ofNullable(dnsView) : Optional.empty();
        }

        Active(UpStages.Target target) {
            settle(target);
        }

        String name() {
            return config.iface().name();
        }

        /** The config and endpoints in force. */
        UpStages.Target target() {
            return new UpStages.Target(config, endpoints);
        }

        /** Takes {@code target} as the one in force. */
        void settle(UpStages.Target target) {
            config = target.config();
            endpoints.clear();
            endpoints.putAll(target.endpoints());
        }
    }

    /** An app a caller may start with {@code wg-pr run}, in the tunnel that names it. */
    record LaunchableApp(String tunnel, AppConfig app, Path cgroup, Optional<Path> resolverView) {
        Launcher.Placement placement() {
            return new Launcher.Placement(cgroup, resolverView);
        }
    }

    /**
     * {@code dns}: what the tunnels' DNS forwarders need; {@code resolverState}: where the host resolver's
     * backends keep what must outlive a crash.
     */
    Tunnels(Pieces pieces, DnsStage.Settings dns, Path resolverState) {
        this.pieces = pieces;
        UpStages.PolicyShares shares = new UpStages.PolicyShares(pieces.enforcement());
        this.stages = UpStages.all(pieces, shares, new DnsStage(dns, shares, pieces.enforcement()), resolverState);
        this.reload = new Reload(stages);
    }

    /** Brings up the tunnel of the config file at {@code source}; returns its interface name. */
    String up(Path source) throws UpFailedException {
        return up(ConfigSource.onDisk(source), false);
    }

    /**
     * Brings up the tunnel of the config {@code source}; returns its interface name. {@code force}: also a
     * config whose warnings need it ({@link ConfigSource#load}).
     */
    synchronized String up(ConfigSource source, boolean force) throws UpFailedException {
        TunnelConfig config = source.load(force);
        String name = config.iface().name();
        if (active.containsKey(name)) {
            throw new UpFailedException(
                    UpFailedException.Kind.FAILED, name + " is already up; `wg-pr down " + name + "` first");
        }
        UpStages.Target target = UpStages.Target.resolving(config);
        Active tunnel = new Active(target);
        try {
            UpStages.reconcile(stages, tunnel, target);
        } catch (UpStages.ReconcileFailed e) {
            throw new UpFailedException(
                    UpFailedException.Kind.FAILED,
                    name + ": " + e.getMessage() + listed("\nand undoing what was done failed:", e.undoFailures()),
                    e.getCause());
        }
        active.put(name, tunnel);
        return name;
    }

    /** {@code failures} under {@code heading}, one a line; nothing when there are none. */
    static String listed(String heading, List<String> failures) {
        return failures.isEmpty() ? "" : heading + "\n  " + String.join("\n  ", failures);
    }

    /**
     * Brings the tunnel that the config at {@code source} names to that config in place ({@link
     * Reload}); a config with mistakes changes nothing.
     */
    Reload.Outcome reload(Path source) throws UpFailedException {
        return reload(ConfigSource.onDisk(source), false);
    }

    /** As {@link #reload(Path)}, for the config {@code source}; {@code force} as for {@link #up(ConfigSource, boolean)}. */
    synchronized Reload.Outcome reload(ConfigSource source, boolean force) throws UpFailedException {
        TunnelConfig config = source.load(force);
        String name = config.iface().name();
        Active tunnel = active.get(name);
        if (tunnel == null || !tunnel.network) {
            throw new UpFailedException(
                    UpFailedException.Kind.FAILED,
                    name + " is not up; `wg-pr up " + source.path() + "` brings it up"
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
                List<String> changes = UpStages.reconcile(stages, tunnel, tunnel.target());
                if (!changes.isEmpty()) {
                    changed.put(tunnel.name(), changes);
                }
            } catch (UpStages.ReconcileFailed e) {
                changed.put(
                        tunnel.name(),
                        List.of("re-deciding the routes failed: " + e.getMessage()
                                + listed("; and putting them back failed:", e.undoFailures())));
            }
        }
        for (UpStages.Stage stage : stages) {
            if (stage instanceof UpStages.SteerOthers steer) {
                try {
                    List<String> mirrored = steer.follow();
                    if (!mirrored.isEmpty()) {
                        changed.put(UNDERLAY_MIRROR, mirrored);
                    }
                } catch (IOException e) {
                    changed.put(UNDERLAY_MIRROR, List.of("following the host's routes failed: " + e.getMessage()));
                }
            }
        }
        return changed;
    }

    /** What {@link #refreshRouting} names the changes of the steering's underlay mirror by. */
    static final String UNDERLAY_MIRROR = "the underlay mirror";

    /**
     * Registers a config's apps for {@code wg-pr run} without any network piece: for the launcher's
     * tests. Nothing grants such an app any network access; it only gets its cgroup.
     */
    synchronized void addWithoutNetwork(TunnelConfig config) throws IOException {
        Active tunnel = new Active(new UpStages.Target(config, Map.of()));
        tunnel.network = false;
        new UpStages.AppCgroups(pieces.enforcement()).reconcile(tunnel, tunnel.target());
        active.put(config.iface().name(), tunnel);
    }

    /** Takes the tunnel down exactly; returns the failures (empty when all went). */
    synchronized List<String> down(String name) throws UpFailedException {
        Active tunnel = active.get(name);
        if (tunnel == null) {
            throw new UpFailedException(
                    UpFailedException.Kind.FAILED,
                    name + " is not up"
                            + (active.isEmpty() ? "" : " (up: " + String.join(", ", active.keySet()) + ")"));
        }
        active.remove(name);
        return takeDown(tunnel);
    }

    /** Every tunnel down, the last brought up first (the daemon's orderly stop). */
    synchronized List<String> downAll() {
        List<String> failures = new ArrayList<>();
        List<String> names = new ArrayList<>(active.keySet());
        for (String name : names.reversed()) {
            failures.addAll(takeDown(active.remove(name)));
        }
        return failures;
    }

    /** Every stage's part of {@code tunnel} taken away, last first; one that fails does not stop the rest. */
    private List<String> takeDown(Active tunnel) {
        List<String> failures = new ArrayList<>();
        for (UpStages.Stage stage : stages.reversed()) {
            String what = stage.what(tunnel);
            try {
                stage.remove(tunnel);
            } catch (IOException | RuntimeException e) {
                failures.add("undo " + what + ": " + e.getMessage());
            }
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
                        found.add(new LaunchableApp(tunnelName, app, t.appCgroups.get(name), t.resolverView()));
                    }
                }
            }
            for (ExcludedAppConfig excluded : t.config.iface().excludedApps()) {
                if (excluded.name().equals(name)) {
                    // No grants, any child: it holds nothing to borrow. The host's resolver, not the tunnel's
                    // view: it never uses the tunnel, names included.
                    AppConfig app = new AppConfig(
                            name,
                            excluded.exec(),
                            excluded.sha256(),
                            List.of(),
                            AppConfig.Children.ANY,
                            List.of(),
                            Optional.empty());
                    found.add(new LaunchableApp(tunnelName, app, t.appCgroups.get(name), Optional.empty()));
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
                t.config.routeMode().configName(),
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
                appStatus(t),
                dnsStatus(t),
                t.config.iface().others().text(),
                t.config.iface().excludedApps().stream()
                        .map(ExcludedAppConfig::name)
                        .toList(),
                excludedAppCgroups(t))));
        return list;
    }

    private static List<TunnelStatus.Peer> peerStatus(Active t) {
        List<TunnelStatus.Traffic> traffic = t.device.map(Pieces.Device::peers).orElse(List.of());
        List<TunnelStatus.Peer> peers = new ArrayList<>();
        for (PeerConfig peer : t.config.peers()) {
            String key = peer.publicKey().toBase64();
            InetSocketAddress resolved = t.endpoints.get(peer.name());
            String endpoint = peer.endpoint().map(Endpoint::toString).orElse(null);
            String address = resolved == null ? null : IpText.endpoint(resolved.getAddress(), resolved.getPort());
            TunnelStatus.Peer configured = TunnelStatus.Peer.configured(
                    peer.name(),
                    key,
                    endpoint,
                    // Only when it says more than the endpoint: a name, and the address it resolved to.
                    Objects.equals(address, endpoint) ? null : address,
                    peer.allowedIPs().stream().map(IpText::of).toList());
            peers.add(traffic.stream()
                    .filter(d -> key.equals(d.publicKey()))
                    .findFirst()
                    .map(configured::with)
                    .orElse(configured));
        }
        return peers;
    }

    /** What the host's resolver was told about the tunnel's DNS, in words; null when it has no DNS servers. */
    private static String resolverStatus(Active t) {
        if (t.config.iface().dns().servers().isEmpty()) {
            return null;
        }
        return t.hostDns
                .map(applied -> applied.backend().name() + ": asks "
                        + applied.link().servers().stream().map(IpText::of).collect(Collectors.joining(", "))
                        + " for "
                        + (applied.link().domains().isEmpty()
                                ? "no domain"
                                : applied.link().domains().stream()
                                        .map(domain -> "~" + domain)
                                        .collect(Collectors.joining(" ")))
                        + (applied.link().defaultRoute() ? " and every other name (the DNS default route)" : ""))
                .orElse("not told (dnsResolver = \""
                        + t.config.iface().dns().resolver().text() + "\")");
    }

    private static TunnelStatus.Dns dnsStatus(Active t) {
        DnsConfig dns = t.config.iface().dns();
        if (dns.servers().isEmpty()) {
            return null;
        }
        Optional<DnsForwarder> forwarder = t.dns;
        return new TunnelStatus.Dns(
                dns.servers().stream().map(IpText::of).toList(),
                dns.domains(),
                dns.access().configName(),
                forwarder
                        .map(f -> f.linkFaces().stream()
                                .map(face -> IpText.of(face.getAddress()))
                                .toList())
                        .orElse(List.of()),
                forwarder.map(f -> IpText.of(f.appsFace().getAddress())).orElse(null),
                t.resolverView().isPresent(),
                resolverStatus(t),
                forwarder.map(DnsForwarder::counters).orElse(null));
    }

    private static Map<String, String> excludedAppCgroups(Active t) {
        Map<String, String> cgroups = new LinkedHashMap<>();
        for (ExcludedAppConfig excluded : t.config.iface().excludedApps()) {
            Path cgroup = t.appCgroups.get(excluded.name());
            if (cgroup != null) {
                cgroups.put(excluded.name(), cgroup.toString());
            }
        }
        return cgroups;
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
}
