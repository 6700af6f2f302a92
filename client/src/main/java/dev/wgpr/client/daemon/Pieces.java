package dev.wgpr.client.daemon;

import dev.wgpr.client.config.TunnelConfig;
import dev.wgpr.common.net.IpPrefix;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The modules the up pipeline drives, each behind the smallest interface the daemon needs, so that
 * each is wired in one place ({@link #available()}) as it lands on main. A piece that has not landed
 * is absent, and {@code up} fails at its stage with "not available yet" after undoing the stages
 * before it; nothing pretends to work.
 */
record Pieces(
        Optional<TunnelDevices> devices, Optional<RouteInstaller> routes, Optional<EnforcementLayer> enforcement) {

    /** What this build has: the routes module; the device and enforcement are not on main yet. */
    static Pieces available(Instance instance) {
        return new Pieces(Optional.empty(), Optional.of(new KernelRoutes(instance)), Optional.empty());
    }

    /** In words for {@code status}: each piece and whether this build has it. */
    Map<String, Object> describe() {
        Map<String, Object> pieces = new java.util.LinkedHashMap<>();
        pieces.put("device", devices.isPresent() ? "available" : "not available yet (branch device)");
        pieces.put("routes", routes.isPresent() ? "available" : "not available yet (branch routes)");
        pieces.put("enforcement", enforcement.isPresent() ? "available" : "not available yet (branch policy)");
        return pieces;
    }

    /** The tunnel interface: userspace WireGuard on TUN (tunnel/ module). */
    interface TunnelDevices {
        /** Creates interface {@code config.iface().name()} configured with keys, port and peers. */
        Device create(TunnelConfig config, Map<String, InetSocketAddress> endpoints) throws IOException;
    }

    interface Device extends AutoCloseable {
        String interfaceName();

        /** Per peer: public key, endpoint, latest handshake, transfer, allowed IPs. */
        List<Map<String, Object>> peers();

        @Override
        void close() throws IOException;
    }

    /** Addresses, MTU, link up and routes (routes/ module). */
    interface RouteInstaller {
        Routing install(TunnelConfig config, String interfaceName, List<InetAddress> endpoints) throws IOException;
    }

    interface Routing extends AutoCloseable {
        /** The prefixes routed into the tunnel, and the more specific ones routing keeps out of it. */
        List<IpPrefix> internal();

        List<IpPrefix> exclusions();

        /** Routes installed and the bypass decisions with their reasons. */
        Map<String, Object> status();

        @Override
        void close() throws IOException;
    }

    /** The shared enforcement layer (enforcement/ module): one policy for every tunnel of the instance. */
    interface EnforcementLayer {
        /** Publishes the policy for {@code tunnels} (all tunnels now up) atomically. */
        void publish(Map<String, TunnelPolicy> tunnels) throws IOException;

        Map<String, Object> status();
    }

    /** One tunnel's share of the policy: the internal set from its routes, and its apps' cgroups. */
    record TunnelPolicy(
            TunnelConfig config,
            List<IpPrefix> internal,
            List<IpPrefix> exclusions,
            Map<String, java.nio.file.Path> appCgroups) {
        TunnelPolicy {
            internal = List.copyOf(internal);
            exclusions = List.copyOf(exclusions);
            appCgroups = Map.copyOf(appCgroups);
        }
    }
}
