package dev.wgpr.client.daemon;

import dev.wgpr.client.config.AppConfig;
import dev.wgpr.client.config.DnsConfig;
import dev.wgpr.client.config.Endpoint;
import dev.wgpr.client.config.OthersSetting;
import dev.wgpr.client.config.PeerConfig;
import dev.wgpr.client.config.ResolverSetting;
import dev.wgpr.client.config.TunnelConfig;
import dev.wgpr.client.dns.HostResolver;
import dev.wgpr.client.dns.LinkDns;
import dev.wgpr.client.dns.ResolverBackend;
import dev.wgpr.common.net.InterfaceAddress;
import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.common.net.IpText;
import dev.wgpr.routes.RouteMode;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The stages of a tunnel, in order (DESIGN's data flow), and the one {@link #reconcile} that brings
 * them to a {@link Target}: from nothing ({@code up}), from the config in force to an edited one
 * ({@code reload}), or to the same config as the kernel's routes are now (the underlay changed). Each
 * stage does one thing and takes exactly that back:
 *
 * <ol>
 *   <li>{@link TunnelDevice}: the WireGuard interface with keys, port and peers, and its UAPI socket
 *       ({@code wg syncconf} on a reload: unchanged peers keep their sessions);
 *   <li>{@link GuardPolicy}: whenever the routing is about to change, a policy generation with every
 *       prefix routed before or after internal and no exclusions, published before any route changes,
 *       so no unauthorized process ever sees the tunnel's routes unguarded (at worst a LAN address is
 *       denied for the moment of the change);
 *   <li>{@link GuardDevice}: the backstop and the inbound judgement on the device, before its link is
 *       up, so no packet enters or leaves the tunnel unjudged;
 *   <li>{@link AppCgroups}: the apps' cgroups, from the enforcement layer that owns them;
 *   <li>{@link Routes}: addresses, MTU, link up, bypass host routes, tunnel and fail-closed routes (new
 *       ones in before old ones go);
 *   <li>{@link DnsStage}: the tunnel's DNS forwarder, on the addresses the routes stage put on the link;
 *   <li>{@link HostDns}: the host's resolver told to ask the link for the tunnel's DNS domains, once the
 *       link is up and addressed;
 *   <li>{@link ExactPolicy}: the exact internal set, with the exclusions read back from the kernel;
 *       publishing it closes the open connections the grants no longer allow.
 * </ol>
 *
 * A reconcile is all or nothing: when a stage fails, the ones before it are taken back, last first, to
 * what was in force. {@code down} takes every stage's part away, last first: routes go before the
 * policy that guards them.
 */
final class UpStages {
    private UpStages() {}

    /** What a tunnel is brought to: its config, and its peers' endpoints with names resolved. */
    record Target(TunnelConfig config, Map<String, InetSocketAddress> endpoints) {
        Target {
            endpoints = Map.copyOf(endpoints);
        }

        /** {@code config} with every endpoint name resolved now (DESIGN). */
        static Target resolving(TunnelConfig config) throws UpFailedException {
            return new Target(config, resolve(config));
        }

        /** The addresses of the endpoints (what routing decides bypass routes for), in peer order. */
        List<InetAddress> endpointAddresses() {
            List<InetAddress> addresses = new ArrayList<>();
            for (PeerConfig peer : config.peers()) {
                InetSocketAddress endpoint = endpoints.get(peer.name());
                if (endpoint != null) {
                    addresses.add(endpoint.getAddress());
                }
            }
            return addresses;
        }

        /** The prefixes the tunnel routes. */
        List<IpPrefix> routed() {
            return config.routePlan().tunnelPrefixes();
        }

        /** Whether going from {@code this} to {@code next} changes the routing: plan, endpoints, addresses, MTU. */
        boolean routingDiffers(Target next) {
            return !routed().equals(next.routed())
                    || !endpointAddresses().equals(next.endpointAddresses())
                    || !config.iface().addresses().equals(next.config.iface().addresses())
                    || !config.iface().mtu().equals(next.config.iface().mtu());
        }

        /** Each peer's endpoint, by peer name; only the first address of a name is used, as wg(8) does. */
        private static Map<String, InetSocketAddress> resolve(TunnelConfig config) throws UpFailedException {
            Map<String, InetSocketAddress> endpoints = new LinkedHashMap<>();
            for (PeerConfig peer : config.peers()) {
                if (peer.endpoint().isEmpty()) {
                    continue;
                }
                Endpoint endpoint = peer.endpoint().get();
                InetAddress address;
                try {
                    address = endpoint.literalAddress().isPresent()
                            ? endpoint.literalAddress().get()
                            : InetAddress.getAllByName(endpoint.host())[0];
                } catch (UnknownHostException e) {
                    throw new UpFailedException(
                            UpFailedException.Kind.UNRESOLVED,
                            "peer " + peer.name() + ": cannot resolve the endpoint name " + endpoint.host() + " ("
                                    + e.getMessage() + "); nothing was changed");
                }
                endpoints.put(peer.name(), new InetSocketAddress(address, endpoint.port()));
            }
            return endpoints;
        }
    }

    /** What one stage did: how to go back to what was in force before, and what changed, in words. */
    record Step(Rollback.Undo back, List<String> changes) {
        Step {
            changes = List.copyOf(changes);
        }

        static Step of(Rollback.Undo back) {
            return new Step(back, List.of());
        }

        static final Step NOTHING = of(() -> {});
    }

    /** One stage of a tunnel. */
    interface Stage {
        /**
         * Brings the tunnel's part of this stage to {@code target}: from nothing when the tunnel has
         * none yet, else from what is in force ({@link Tunnels.Active#target()}). Leaves nothing changed
         * when it throws.
         */
        Step reconcile(Tunnels.Active tunnel, Target target) throws IOException;

        /** Takes back all of the tunnel's part of this stage, if it has one ({@code down}). */
        void remove(Tunnels.Active tunnel) throws IOException;

        /** The tunnel's part, in words (for failure reports). */
        String what(Tunnels.Active tunnel);

        /**
         * After a reconcile to {@code target} succeeded: lets go of what {@code target} no longer
         * needs, where that cannot be taken back; returns what stayed, and why, in words.
         */
        default List<String> prune(Tunnels.Active tunnel, Target target) {
            return List.of();
        }
    }

    /** A reconcile failed; every stage was taken back to what was in force before. */
    static final class ReconcileFailed extends Exception {
        private static final long serialVersionUID = 1L;

        private final transient List<String> undoFailures;

        ReconcileFailed(Exception cause, List<String> undoFailures) {
            super(cause.getMessage(), cause);
            this.undoFailures = List.copyOf(undoFailures);
        }

        /** Steps back that failed too, in words: what the failure left changed. */
        List<String> undoFailures() {
            return undoFailures;
        }
    }

    /**
     * Brings every stage of {@code tunnel} to {@code target}, in order, all or nothing; on success the
     * target is the one in force. Returns what changed, in words.
     */
    static List<String> reconcile(List<Stage> stages, Tunnels.Active tunnel, Target target) throws ReconcileFailed {
        Rollback back = new Rollback();
        List<String> changes = new ArrayList<>();
        try {
            for (Stage stage : stages) {
                Step step = stage.reconcile(tunnel, target);
                back.add(stage.what(tunnel), step.back());
                changes.addAll(step.changes());
            }
        } catch (IOException | RuntimeException e) {
            throw new ReconcileFailed(e, back.unwind());
        }
        tunnel.settle(target);
        for (Stage stage : stages) {
            changes.addAll(stage.prune(tunnel, target));
        }
        return changes;
    }

    /** The tunnels' shares of the one published policy, and publishing their union. */
    static final class PolicyShares {
        private final Pieces.EnforcementLayer enforcement;
        private final Map<String, Pieces.TunnelPolicy> shares = new LinkedHashMap<>();

        PolicyShares(Pieces.EnforcementLayer enforcement) {
            this.enforcement = enforcement;
        }

        /** Publishes {@code share} as the tunnel's; returns how to put back the share before it. */
        Rollback.Undo put(String tunnel, Pieces.TunnelPolicy share) throws IOException {
            Pieces.TunnelPolicy before = shares.put(tunnel, share);
            try {
                enforcement.publish(Map.copyOf(shares));
            } catch (IOException | RuntimeException e) {
                restore(tunnel, before);
                throw e;
            }
            return () -> {
                restore(tunnel, before);
                enforcement.publish(Map.copyOf(shares));
            };
        }

        private void restore(String tunnel, Pieces.TunnelPolicy before) {
            if (before == null) {
                shares.remove(tunnel);
            } else {
                shares.put(tunnel, before);
            }
        }

        /** The tunnel's share now in force. */
        Optional<Pieces.TunnelPolicy> get(String tunnel) {
            return Optional.ofNullable(shares.get(tunnel));
        }

        void remove(String tunnel) throws IOException {
            if (shares.remove(tunnel) != null) {
                enforcement.publish(Map.copyOf(shares));
            }
        }
    }

    /**
     * Every stage, in order; {@code dns}: the tunnel's DNS forwarder; {@code resolverState}: where the host
     * resolver's backends keep what must outlive a crash.
     */
    static List<Stage> all(Pieces pieces, PolicyShares shares, Stage dns, Path resolverState) {
        return List.of(
                new TunnelDevice(pieces.devices()),
                new GuardPolicy(shares),
                new GuardDevice(pieces.enforcement()),
                new AppCgroups(pieces.enforcement()),
                new Routes(pieces.routes()),
                new SteerOthers(pieces.routes(), pieces.enforcement()),
                dns,
                new HostDns(resolverState),
                new ExactPolicy(shares));
    }

    /** The device (tunnel/ module) and its UAPI socket. */
    static final class TunnelDevice implements Stage {
        private final Pieces.TunnelDevices devices;

        TunnelDevice(Pieces.TunnelDevices devices) {
            this.devices = devices;
        }

        @Override
        public Step reconcile(Tunnels.Active tunnel, Target target) throws IOException {
            if (tunnel.device.isPresent()) {
                Target before = tunnel.target();
                if (target.equals(before)) {
                    return Step.NOTHING;
                }
                Pieces.Device device = tunnel.device.get();
                device.reconfigure(target.config(), target.endpoints());
                return Step.of(() -> device.reconfigure(before.config(), before.endpoints()));
            }
            tunnel.device = Optional.of(devices.create(target.config(), target.endpoints()));
            return Step.of(() -> remove(tunnel));
        }

        @Override
        public void remove(Tunnels.Active tunnel) throws IOException {
            Optional<Pieces.Device> device = tunnel.device;
            tunnel.device = Optional.empty();
            if (device.isPresent()) {
                device.get().close();
            }
        }

        @Override
        public String what(Tunnels.Active tunnel) {
            return "interface " + tunnel.name();
        }
    }

    /** Every prefix routed before or after internal, no exclusions: in force before any route changes. */
    static final class GuardPolicy implements Stage {
        private final PolicyShares shares;

        GuardPolicy(PolicyShares shares) {
            this.shares = shares;
        }

        @Override
        public Step reconcile(Tunnels.Active tunnel, Target target) throws IOException {
            Set<IpPrefix> guarded = new LinkedHashSet<>(target.routed());
            if (tunnel.routing.isPresent()) {
                if (!tunnel.target().routingDiffers(target)) {
                    return Step.NOTHING;
                }
                guarded.addAll(tunnel.routing.get().routed());
            }
            Rollback.Undo back =
                    shares.put(tunnel.name(), InternalSet.policy(target.config(), List.copyOf(guarded), List.of()));
            return Step.of(back);
        }

        @Override
        public void remove(Tunnels.Active tunnel) throws IOException {
            shares.remove(tunnel.name());
        }

        @Override
        public String what(Tunnels.Active tunnel) {
            return "policy of " + tunnel.name();
        }
    }

    /** The device's backstop (what enters the tunnel) and inbound judgement (what arrives through it). */
    static final class GuardDevice implements Stage {
        private final Pieces.EnforcementLayer enforcement;

        GuardDevice(Pieces.EnforcementLayer enforcement) {
            this.enforcement = enforcement;
        }

        @Override
        public Step reconcile(Tunnels.Active tunnel, Target target) throws IOException {
            if (tunnel.guarded) {
                return Step.NOTHING;
            }
            enforcement.guardDevice(tunnel.device.orElseThrow().interfaceName());
            tunnel.guarded = true;
            return Step.of(() -> remove(tunnel));
        }

        @Override
        public void remove(Tunnels.Active tunnel) throws IOException {
            if (tunnel.guarded) {
                tunnel.guarded = false;
                enforcement.unguardDevice(tunnel.device.orElseThrow().interfaceName());
            }
        }

        @Override
        public String what(Tunnels.Active tunnel) {
            return "backstop on " + tunnel.name();
        }
    }

    /**
     * One cgroup per app the tunnel's peers name; an app named by two tunnels has one cgroup. The
     * cgroups of apps a reload no longer names go once it succeeded; one whose processes still run
     * stays.
     */
    static final class AppCgroups implements Stage {
        private final Pieces.EnforcementLayer enforcement;

        AppCgroups(Pieces.EnforcementLayer enforcement) {
            this.enforcement = enforcement;
        }

        @Override
        public Step reconcile(Tunnels.Active tunnel, Target target) throws IOException {
            List<String> acquired = new ArrayList<>();
            Rollback.Undo back = () -> release(tunnel, acquired);
            try {
                Set<String> excluded = excludedNames(target.config());
                for (String app : appNames(target.config())) {
                    if (!tunnel.appCgroups.containsKey(app)) {
                        tunnel.appCgroups.put(
                                app,
                                excluded.contains(app)
                                        ? enforcement.acquireExcludedApp(app)
                                        : enforcement.acquireApp(app));
                        acquired.add(app);
                    }
                }
            } catch (IOException | RuntimeException e) {
                try {
                    back.run();
                } catch (Exception cleanup) {
                    e.addSuppressed(cleanup);
                }
                throw e;
            }
            return Step.of(back);
        }

        @Override
        public void remove(Tunnels.Active tunnel) throws IOException {
            release(tunnel, List.copyOf(tunnel.appCgroups.keySet()));
        }

        @Override
        public List<String> prune(Tunnels.Active tunnel, Target target) {
            List<String> notes = new ArrayList<>();
            Set<String> named = appNames(target.config());
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

        /** Releases {@code apps}, the last first; every one is tried. */
        private void release(Tunnels.Active tunnel, List<String> apps) throws IOException {
            List<String> failures = new ArrayList<>();
            for (String app : apps.reversed()) {
                try {
                    enforcement.releaseApp(app);
                } catch (IOException | RuntimeException e) {
                    failures.add(e.getMessage());
                }
                tunnel.appCgroups.remove(app);
            }
            if (!failures.isEmpty()) {
                throw new IOException(String.join("; ", failures));
            }
        }

        private static Set<String> excludedNames(TunnelConfig config) {
            Set<String> names = new LinkedHashSet<>();
            config.iface().excludedApps().forEach(app -> names.add(app.name()));
            return names;
        }

        /** The allowed apps' names and the excluded apps' (one cgroup each). */
        private static Set<String> appNames(TunnelConfig config) {
            Set<String> names = excludedNames(config);
            for (PeerConfig peer : config.peers()) {
                for (AppConfig app : peer.allowedApps()) {
                    names.add(app.name());
                }
            }
            return names;
        }

        @Override
        public String what(Tunnels.Active tunnel) {
            return "app cgroups of " + tunnel.name();
        }
    }

    /** Addresses, MTU, link up and routes (routes/ module), in the daemon's namespace. */
    static final class Routes implements Stage {
        private final Pieces.RouteInstaller routes;

        Routes(Pieces.RouteInstaller routes) {
            this.routes = routes;
        }

        @Override
        public Step reconcile(Tunnels.Active tunnel, Target target) throws IOException {
            if (tunnel.routing.isPresent()) {
                Pieces.Routing routing = tunnel.routing.get();
                Target before = tunnel.target();
                List<IpPrefix> exclusionsBefore = routing.exclusions();
                List<String> changes = new ArrayList<>(routing.update(target.config(), target.endpointAddresses()));
                if (!routing.exclusions().equals(exclusionsBefore)) {
                    changes.add("exclusions now " + routing.exclusions());
                }
                return new Step(() -> routing.update(before.config(), before.endpointAddresses()), changes);
            }
            String iface = tunnel.device.orElseThrow().interfaceName();
            tunnel.routing = Optional.of(routes.install(target.config(), iface, target.endpointAddresses()));
            return Step.of(() -> remove(tunnel));
        }

        @Override
        public void remove(Tunnels.Active tunnel) throws IOException {
            Optional<Pieces.Routing> routing = tunnel.routing;
            tunnel.routing = Optional.empty();
            if (routing.isPresent()) {
                routing.get().close();
            }
        }

        @Override
        public String what(Tunnels.Active tunnel) {
            return "routes of " + tunnel.name();
        }
    }

    /**
     * The modes (enforcement/DESIGN.md, "Modes"): while some tunnel has excluded apps or lets its non-apps
     * go around it (others = "bypass"), the instance's mark is routed through the underlay mirror and the
     * kernel marks excluded apps' sockets (and, while a tunnel is bypass, non-apps') and lets them reach the
     * prefixes they go around. Steering first, marking second (and the reverse on the way back): without the
     * steering those prefixes are denied, never sent into a tunnel. One steering for all the daemon's tunnels.
     */
    static final class SteerOthers implements Stage {
        private final Pieces.RouteInstaller routes;
        private final Pieces.EnforcementLayer enforcement;
        /** The tunnels that need the steering: bypass ones and those with excluded apps. */
        private final Set<String> steered = new LinkedHashSet<>();
        /** Of those, the bypass ones: while there is one, non-apps are steered too. */
        private final Set<String> bypassing = new LinkedHashSet<>();

        private Optional<Pieces.Steering> steering = Optional.empty();

        SteerOthers(Pieces.RouteInstaller routes, Pieces.EnforcementLayer enforcement) {
            this.routes = routes;
            this.enforcement = enforcement;
        }

        /**
         * Brings the underlay mirror, shared by every steered tunnel, to the host's routes as they are now (the
         * underlay changed); returns the changes, in words. Nothing while no tunnel is steered.
         */
        List<String> follow() throws IOException {
            return steering.isEmpty() ? List.of() : steering.get().follow();
        }

        private static boolean needsSteering(Target target) {
            return target.config().iface().others() == OthersSetting.BYPASS
                    || !target.config().iface().excludedApps().isEmpty();
        }

        @Override
        public Step reconcile(Tunnels.Active tunnel, Target target) throws IOException {
            boolean bypass = target.config().iface().others() == OthersSetting.BYPASS;
            if (!needsSteering(target)
                    || (steered.contains(tunnel.name()) && bypass == bypassing.contains(tunnel.name()))) {
                // Nothing new; a reload that needs no steering any more lets go in prune, once the policy
                // without it is in force. The mirror follows main once per underlay change (follow).
                return Step.NOTHING;
            }
            List<String> changes = new ArrayList<>();
            boolean others = bypass || bypassing.stream().anyMatch(name -> !name.equals(tunnel.name()));
            if (steering.isEmpty()) {
                Pieces.Steering made = routes.steerAround(enforcement.othersMark());
                try {
                    enforcement.steer(true, others);
                } catch (IOException | RuntimeException e) {
                    made.close();
                    throw e;
                }
                steering = Optional.of(made);
                changes.add((others ? "non-apps and excluded apps" : "excluded apps")
                        + " go around the tunnels: mark 0x" + Integer.toHexString(enforcement.othersMark())
                        + " routed through the underlay");
                changes.addAll(made.notes());
            } else {
                enforcement.steer(true, others);
            }
            steered.add(tunnel.name());
            if (bypass) {
                bypassing.add(tunnel.name());
            } else {
                bypassing.remove(tunnel.name());
            }
            return new Step(() -> remove(tunnel), changes);
        }

        @Override
        public void remove(Tunnels.Active tunnel) throws IOException {
            bypassing.remove(tunnel.name());
            if (!steered.remove(tunnel.name()) || steering.isEmpty()) {
                return;
            }
            if (!steered.isEmpty()) {
                enforcement.steer(true, !bypassing.isEmpty());
                return;
            }
            Pieces.Steering held = steering.get();
            steering = Optional.empty();
            enforcement.steer(false, false);
            held.close();
        }

        @Override
        public List<String> prune(Tunnels.Active tunnel, Target target) {
            if (needsSteering(target) || !steered.contains(tunnel.name())) {
                return List.of();
            }
            try {
                remove(tunnel);
                return List.of();
            } catch (IOException | RuntimeException e) {
                return List.of("the underlay steering of " + tunnel.name() + " stays: " + e.getMessage());
            }
        }

        @Override
        public String what(Tunnels.Active tunnel) {
            return "underlay steering of " + tunnel.name();
        }
    }

    /**
     * The host's resolver told about the tunnel's DNS ({@link dev.wgpr.client.dns.ResolverBackend}): the
     * backend is chosen when the tunnel's DNS first applies, or when the config's {@code dnsResolver}
     * changes. A change applies the new settings before the old backend's are taken back (the same backend
     * replaces them in place), so no moment sends the tunnel's domains to the host's own servers.
     */
    static final class HostDns implements Stage {
        private final Path stateDirectory;

        HostDns(Path stateDirectory) {
            this.stateDirectory = stateDirectory;
        }

        /** What a tunnel's DNS looks like to the host's resolver, and who was told. */
        record Applied(ResolverSetting setting, ResolverBackend backend, LinkDns link) {}

        @Override
        public Step reconcile(Tunnels.Active tunnel, Target target) throws IOException {
            Optional<Applied> before = tunnel.hostDns;
            Optional<LinkDns> link = linkDns(tunnel, target.config());
            ResolverSetting setting = target.config().iface().dns().resolver();
            if (before.isPresent()
                    && link.isPresent()
                    && before.get().setting() == setting
                    && before.get().link().equals(link.get())) {
                return Step.NOTHING;
            }
            if (before.isEmpty() && link.isEmpty()) {
                return Step.NOTHING;
            }
            Optional<Applied> next = Optional.empty();
            if (link.isPresent()) {
                ResolverBackend backend = before.isPresent() && before.get().setting() == setting
                        ? before.get().backend()
                        : backendFor(setting);
                apply(backend, link.get());
                next = Optional.of(new Applied(setting, backend, link.get()));
            }
            if (before.isPresent()
                    && (next.isEmpty() || next.get().backend() != before.get().backend())) {
                revert(before.get());
            }
            tunnel.hostDns = next;
            Optional<Applied> applied = next;
            return new Step(
                    () -> {
                        if (before.isPresent()) {
                            apply(before.get().backend(), before.get().link());
                        }
                        if (applied.isPresent()
                                && (before.isEmpty()
                                        || applied.get().backend()
                                                != before.get().backend())) {
                            revert(applied.get());
                        }
                        tunnel.hostDns = before;
                    },
                    next.map(a -> List.of("host resolver (" + a.backend().name() + "): " + describe(a.link())))
                            .orElse(List.of("host resolver: no longer told about the tunnel")));
        }

        @Override
        public void remove(Tunnels.Active tunnel) throws IOException {
            Optional<Applied> applied = tunnel.hostDns;
            tunnel.hostDns = Optional.empty();
            if (applied.isPresent()) {
                revert(applied.get());
            }
        }

        @Override
        public String what(Tunnels.Active tunnel) {
            return "host resolver settings of " + tunnel.name();
        }

        private ResolverBackend backendFor(ResolverSetting setting) throws IOException {
            HostResolver.Facts facts;
            try {
                facts = HostResolver.Facts.look();
            } catch (RuntimeException e) {
                throw new IOException("looking at the host's resolver: " + e, e);
            }
            HostResolver.Choice choice = HostResolver.choose(setting, facts);
            if (choice.problem().isPresent()) {
                throw new IOException("dnsResolver = \"" + setting.text() + "\": "
                        + choice.problem().get());
            }
            return HostResolver.backend(choice, facts, stateDirectory);
        }

        private static void apply(ResolverBackend backend, LinkDns link) throws IOException {
            try {
                backend.apply(link);
            } catch (IOException | RuntimeException e) {
                throw new IOException(
                        "telling the host's resolver (" + backend.name() + ") about " + link.interfaceName() + ": "
                                + (e.getMessage() == null ? e.toString() : e.getMessage()),
                        e);
            }
        }

        private static void revert(Applied applied) throws IOException {
            applied.backend().revert(applied.link().interfaceName());
        }

        private static String describe(LinkDns link) {
            return "ask " + link.servers().stream().map(IpText::of).toList() + " for "
                    + (link.domains().isEmpty()
                            ? "no domain"
                            : link.domains().stream().map(d -> "~" + d).toList())
                    + (link.defaultRoute() ? ", and the default DNS route" : "");
        }

        /**
         * The link face of the tunnel's forwarder, on the interface's own first IPv4 and IPv6 addresses;
         * empty when the config names no DNS server.
         */
        static Optional<LinkDns> linkDns(Tunnels.Active tunnel, TunnelConfig config) throws IOException {
            DnsConfig dns = config.iface().dns();
            if (dns.servers().isEmpty()) {
                return Optional.empty();
            }
            List<InetAddress> servers = new ArrayList<>();
            config.iface().addresses().stream()
                    .map(InterfaceAddress::address)
                    .filter(Inet4Address.class::isInstance)
                    .findFirst()
                    .ifPresent(servers::add);
            config.iface().addresses().stream()
                    .map(InterfaceAddress::address)
                    .filter(Inet6Address.class::isInstance)
                    .findFirst()
                    .ifPresent(servers::add);
            String iface = tunnel.device.orElseThrow().interfaceName();
            NetworkInterface link = NetworkInterface.getByName(iface);
            if (link == null) {
                throw new IOException("interface " + iface + " is gone");
            }
            // A bypass full tunnel is the apps' alone: every other process keeps the host's DNS as it keeps
            // the host's routes, so the link answers only its domains (the apps have their own face).
            boolean everyName = config.routeMode() == RouteMode.DI_SEMI_DEFAULT
                    && config.iface().others() != OthersSetting.BYPASS;
            return Optional.of(new LinkDns(iface, link.getIndex(), servers, dns.domains(), everyName));
        }
    }

    /** The internal set exactly as routing now resolves it: the guard's share replaced. */
    static final class ExactPolicy implements Stage {
        private final PolicyShares shares;

        ExactPolicy(PolicyShares shares) {
            this.shares = shares;
        }

        @Override
        public Step reconcile(Tunnels.Active tunnel, Target target) throws IOException {
            Pieces.Routing routing = tunnel.routing.orElseThrow();
            Pieces.TunnelPolicy exact = InternalSet.policy(target.config(), routing.routed(), routing.exclusions());
            Optional<Pieces.TunnelPolicy> before = shares.get(tunnel.name());
            if (before.isPresent() && before.get().equals(exact)) {
                return Step.NOTHING;
            }
            return Step.of(shares.put(tunnel.name(), exact));
        }

        @Override
        public void remove(Tunnels.Active tunnel) {
            // The guard's removal takes the tunnel's share away; until then the exact one stays in force.
        }

        @Override
        public String what(Tunnels.Active tunnel) {
            return "exact policy of " + tunnel.name();
        }
    }
}
