package dev.wgpr.client.daemon;

import dev.wgpr.client.config.AppConfig;
import dev.wgpr.client.config.Endpoint;
import dev.wgpr.client.config.PeerConfig;
import dev.wgpr.client.config.TunnelConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The stages of {@code up}, in order (DESIGN's data flow), each a small class that does one thing
 * ({@link Stage#apply}) and takes exactly that back ({@link Stage#undo}):
 *
 * <ol>
 *   <li>{@link ResolveEndpoints}: endpoint names resolved now;
 *   <li>{@link CreateDevice}: the WireGuard interface with keys, port and peers, and its UAPI socket;
 *   <li>{@link GuardPolicy}: a first policy generation with the tunnel's routed prefixes internal and
 *       no exclusions, published before any route exists, so no unauthorized process ever sees the
 *       tunnel's routes unguarded (at worst its LAN is denied for the moment of {@code up});
 *   <li>{@link GuardDevice}: the backstop and the inbound judgement on the device, before its link is
 *       up, so no packet enters or leaves the tunnel unjudged;
 *   <li>{@link AppCgroups}: the apps' cgroups, from the enforcement layer that owns them;
 *   <li>{@link Routes}: addresses, MTU, link up, bypass host routes, tunnel and fail-closed routes;
 *   <li>{@link ExactPolicy}: the exact internal set, with the exclusions read back from the kernel.
 * </ol>
 *
 * A stage's {@code apply} either succeeds or leaves nothing; {@link Tunnels} registers its undo right
 * after, so a failing stage unwinds the ones before it, last first, and {@code down} unwinds them all:
 * routes go before the policy that guards them.
 */
final class UpStages {
    private UpStages() {}

    /** One step of {@code up}. */
    interface Stage {
        /** Does the step for {@code tunnel}; leaves nothing behind when it throws. */
        void apply(Tunnels.Active tunnel) throws IOException, UpFailedException;

        /** Takes back exactly what {@link #apply} did. */
        void undo(Tunnels.Active tunnel) throws Exception;

        /** What the undo takes back, in words (for failure reports). */
        String what(Tunnels.Active tunnel);
    }

    /** The tunnels' shares of the one published policy, and publishing their union. */
    static final class PolicyShares {
        private final Pieces.EnforcementLayer enforcement;
        private final Map<String, Pieces.TunnelPolicy> shares = new LinkedHashMap<>();

        PolicyShares(Pieces.EnforcementLayer enforcement) {
            this.enforcement = enforcement;
        }

        void put(String tunnel, Pieces.TunnelPolicy share) throws IOException {
            Pieces.TunnelPolicy before = shares.put(tunnel, share);
            try {
                enforcement.publish(Map.copyOf(shares));
            } catch (IOException | RuntimeException e) {
                if (before == null) {
                    shares.remove(tunnel);
                } else {
                    shares.put(tunnel, before);
                }
                throw e;
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

    static List<Stage> all(Pieces pieces, Instance instance, PolicyShares shares) {
        return List.of(
                new ResolveEndpoints(),
                new CreateDevice(pieces.devices(), instance),
                new GuardPolicy(shares),
                new GuardDevice(pieces.enforcement()),
                new AppCgroups(pieces.enforcement()),
                new Routes(pieces.routes()),
                new ExactPolicy(shares));
    }

    /** Resolves every endpoint name now (DESIGN); only the first address is used, as wg(8) does. */
    static final class ResolveEndpoints implements Stage {
        @Override
        public void apply(Tunnels.Active tunnel) throws UpFailedException {
            tunnel.endpoints.putAll(resolve(tunnel.config));
        }

        /** The addresses of resolved endpoints (what routing decides bypass routes for). */
        static List<InetAddress> addresses(Map<String, InetSocketAddress> endpoints) {
            return endpoints.values().stream()
                    .map(InetSocketAddress::getAddress)
                    .toList();
        }

        /** Each peer's endpoint, by peer name, names resolved now; peers without one are left out. */
        static Map<String, InetSocketAddress> resolve(TunnelConfig config) throws UpFailedException {
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
                            UpFailedException.Kind.FAILED,
                            "peer " + peer.name() + ": cannot resolve the endpoint name " + endpoint.host()
                                    + "; nothing was changed");
                }
                endpoints.put(peer.name(), new InetSocketAddress(address, endpoint.port()));
            }
            return endpoints;
        }

        @Override
        public void undo(Tunnels.Active tunnel) {
            tunnel.endpoints.clear();
        }

        @Override
        public String what(Tunnels.Active tunnel) {
            return "resolved endpoints";
        }
    }

    /** The device (tunnel/ module) and its UAPI socket; recorded for the next daemon after a crash. */
    static final class CreateDevice implements Stage {
        private final Pieces.TunnelDevices devices;
        private final Instance instance;

        CreateDevice(Pieces.TunnelDevices devices, Instance instance) {
            this.devices = devices;
            this.instance = instance;
        }

        @Override
        public void apply(Tunnels.Active tunnel) throws IOException {
            Pieces.Device device = devices.create(tunnel.config, tunnel.endpoints);
            try {
                StaleInterfaces.record(instance, device.interfaceName());
            } catch (IOException | RuntimeException e) {
                device.close();
                throw e;
            }
            tunnel.device = Optional.of(device);
        }

        @Override
        public void undo(Tunnels.Active tunnel) throws IOException {
            Pieces.Device device = tunnel.device.orElseThrow();
            tunnel.device = Optional.empty();
            device.close();
            StaleInterfaces.forget(instance, device.interfaceName());
        }

        @Override
        public String what(Tunnels.Active tunnel) {
            return "interface " + tunnel.config.iface().name();
        }
    }

    /** The tunnel's routed prefixes internal, no exclusions: in force before any route is. */
    static final class GuardPolicy implements Stage {
        private final PolicyShares shares;

        GuardPolicy(PolicyShares shares) {
            this.shares = shares;
        }

        @Override
        public void apply(Tunnels.Active tunnel) throws IOException {
            shares.put(
                    tunnel.name(),
                    InternalSet.policy(tunnel.config, tunnel.config.routePlan().tunnelPrefixes(), List.of()));
        }

        @Override
        public void undo(Tunnels.Active tunnel) throws IOException {
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
        public void apply(Tunnels.Active tunnel) throws IOException {
            enforcement.guardDevice(tunnel.device.orElseThrow().interfaceName());
        }

        @Override
        public void undo(Tunnels.Active tunnel) throws IOException {
            enforcement.unguardDevice(tunnel.device.orElseThrow().interfaceName());
        }

        @Override
        public String what(Tunnels.Active tunnel) {
            return "backstop on " + tunnel.config.iface().name();
        }
    }

    /** One cgroup per app the tunnel's peers name; an app named by two tunnels has one cgroup. */
    static final class AppCgroups implements Stage {
        private final Pieces.EnforcementLayer enforcement;

        AppCgroups(Pieces.EnforcementLayer enforcement) {
            this.enforcement = enforcement;
        }

        @Override
        public void apply(Tunnels.Active tunnel) throws IOException {
            try {
                for (PeerConfig peer : tunnel.config.peers()) {
                    for (AppConfig app : peer.allowedApps()) {
                        Path cgroup = enforcement.acquireApp(app.name());
                        tunnel.appCgroups.put(app.name(), cgroup);
                    }
                }
            } catch (IOException | RuntimeException e) {
                try {
                    undo(tunnel);
                } catch (IOException | RuntimeException cleanup) {
                    e.addSuppressed(cleanup);
                }
                throw e;
            }
        }

        @Override
        public void undo(Tunnels.Active tunnel) throws IOException {
            List<String> failures = new ArrayList<>();
            for (String app : List.copyOf(tunnel.appCgroups.keySet()).reversed()) {
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
        public void apply(Tunnels.Active tunnel) throws IOException {
            List<InetAddress> endpoints = ResolveEndpoints.addresses(tunnel.endpoints);
            String iface = tunnel.device.orElseThrow().interfaceName();
            tunnel.routing = Optional.of(routes.install(tunnel.config, iface, endpoints));
        }

        @Override
        public void undo(Tunnels.Active tunnel) throws IOException {
            Pieces.Routing routing = tunnel.routing.orElseThrow();
            tunnel.routing = Optional.empty();
            routing.close();
        }

        @Override
        public String what(Tunnels.Active tunnel) {
            return "routes of " + tunnel.name();
        }
    }

    /** The internal set exactly as routing now resolves it: the guard's share replaced. */
    static final class ExactPolicy implements Stage {
        private final PolicyShares shares;

        ExactPolicy(PolicyShares shares) {
            this.shares = shares;
        }

        @Override
        public void apply(Tunnels.Active tunnel) throws IOException {
            Pieces.Routing routing = tunnel.routing.orElseThrow();
            shares.put(tunnel.name(), InternalSet.policy(tunnel.config, routing.routed(), routing.exclusions()));
        }

        @Override
        public void undo(Tunnels.Active tunnel) {
            // The guard's undo removes the tunnel's share; until then the exact one stays in force.
        }

        @Override
        public String what(Tunnels.Active tunnel) {
            return "exact policy of " + tunnel.name();
        }
    }
}
