package dev.wgpr.client.daemon;

import dev.wgpr.client.config.TunnelConfig;
import dev.wgpr.client.control.EnforcementStatus;
import dev.wgpr.client.control.TunnelStatus;
import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.enforcement.ExecutableId;
import dev.wgpr.enforcement.Incoming;
import dev.wgpr.enforcement.policy.Grant;
import dev.wgpr.enforcement.policy.Listen;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The modules the up pipeline drives, each behind the smallest interface the daemon needs, wired in
 * one place ({@link #available}): the userspace device (tunnel/), routing (routes/) and the shared
 * enforcement layer (enforcement/).
 */
record Pieces(TunnelDevices devices, RouteInstaller routes, EnforcementLayer enforcement) {

    /** The real pieces, working in the daemon's network namespace. */
    static Pieces available(Instance instance, long netnsCookie, EventLog events, PrintStream log) {
        return new Pieces(
                new DeviceStage(instance),
                new KernelRoutes(instance),
                new SharedEnforcement(instance, netnsCookie, events, log));
    }

    /** The tunnel interface: userspace WireGuard on TUN (tunnel/ module). */
    interface TunnelDevices {
        /** Creates interface {@code config.iface().name()} configured with keys, port and peers. */
        Device create(TunnelConfig config, Map<String, InetSocketAddress> endpoints) throws IOException;
    }

    interface Device extends AutoCloseable {
        String interfaceName();

        /** Per peer: public key, current endpoint, latest handshake, transfer. */
        List<TunnelStatus.Traffic> peers();

        /** Listen port, UAPI socket, drop counters. */
        TunnelStatus.Device status();

        /**
         * Applies {@code config}'s keys, port and peers as {@code wg syncconf} would: unchanged peers
         * keep their sessions, removed ones go, new ones come; a new private key restarts every session.
         */
        void reconfigure(TunnelConfig config, Map<String, InetSocketAddress> endpoints) throws IOException;

        @Override
        void close() throws IOException;
    }

    /** Addresses, MTU, link up and routes (routes/ module). */
    interface RouteInstaller {
        Routing install(TunnelConfig config, String interfaceName, List<InetAddress> endpoints) throws IOException;

        /**
         * Routes sockets marked {@code mark} as if no tunnel were up (routes/ {@code UnderlaySteering}):
         * the rules and the underlay mirror, until the returned steering is closed. Replaces what a crashed
         * run left for the same mark.
         */
        default Steering steerAround(int mark) throws IOException {
            throw new UnsupportedOperationException("no underlay steering here");
        }

        /** Removes the steering of {@code mark} a crashed run left; returns what it removed, in words. */
        default List<String> removeStaleSteering(int mark) throws IOException {
            return List.of();
        }

        /**
         * Finds the routes a crashed daemon of this instance left and holds them: they keep internal
         * prefixes off the LAN until a tunnel that routes those prefixes replaces them; returns them, in
         * words.
         */
        List<String> holdStale() throws IOException;

        /** The held stale routes no tunnel replaced, in words. */
        List<String> held();

        /** Removes the held stale routes no tunnel replaced (the daemon's orderly stop); returns them. */
        List<String> releaseHeld() throws IOException;
    }

    /** The underlay steering of {@link RouteInstaller#steerAround}, in force until closed. */
    interface Steering extends AutoCloseable {
        /** What could not be mirrored, in words. */
        List<String> notes();

        /** Brings the underlay mirror to the host's routes as they are now; returns the changes, in words. */
        List<String> follow() throws IOException;

        @Override
        void close() throws IOException;
    }

    interface Routing extends AutoCloseable {
        /** The prefixes routed into the tunnel. */
        List<IpPrefix> routed();

        /** The prefixes inside {@link #routed()} that the kernel sends elsewhere (LAN, local, bypass). */
        List<IpPrefix> exclusions();

        /** Routes installed and the bypass decisions with their reasons. */
        TunnelStatus.Routing status();

        /**
         * Brings the routing to {@code config} and {@code endpoints} as the kernel's routes are now,
         * without a gap (new routes in before old ones go); all or nothing. Returns what changed, in
         * words (empty when nothing did).
         */
        List<String> update(TunnelConfig config, List<InetAddress> endpoints) throws IOException;

        @Override
        void close() throws IOException;
    }

    /** The shared enforcement layer (enforcement/ module): one policy for every tunnel of the instance. */
    interface EnforcementLayer {
        /** The cgroup of {@code app}, made (and enforcement started) if no tunnel holds it yet. */
        Path acquireApp(String app) throws IOException;

        /**
         * Registers {@code cgroup}, a cgroup this layer did not make (the daemon's own leaf), as app
         * {@code name}, enforcement started if need be; {@link #releaseApp} drops the reference, and the
         * last one unregisters it and leaves the directory.
         */
        void acquireIdentity(String name, Path cgroup) throws IOException;

        /** Drops a reference to {@code app}'s cgroup; the last one removes it. */
        void releaseApp(String app) throws IOException;

        /** Publishes the policy for {@code tunnels} (all tunnels now up) atomically. */
        void publish(Map<String, TunnelPolicy> tunnels) throws IOException;

        /**
         * Adds {@code files} to the executables of {@code app} (acquired), whose grants reach only
         * processes running one of them when its tunnels bind them ({@link TunnelPolicy#executables}).
         */
        void allowExecutables(String app, List<ExecutableId> files) throws IOException;

        /**
         * Guards tunnel device {@code interfaceName}: the backstop on what enters it and the inbound
         * judgement of what arrives through it. Needs a published policy (enforcement running).
         */
        void guardDevice(String interfaceName) throws IOException;

        /** Takes {@link #guardDevice} back, before the device goes. */
        void unguardDevice(String interfaceName) throws IOException;

        /** Whether the device's guard is in force, as the kernel says now. */
        boolean deviceGuarded(String interfaceName);

        /** The socket mark of this instance's non-apps that go around bypass tunnels. */
        default int othersMark() {
            throw new UnsupportedOperationException("no bypass here");
        }

        /**
         * Starts or stops marking excluded apps' sockets and, with {@code others}, non-apps' ({@code others =
         * "bypass"}), and letting them reach the prefixes they go around; start only while the mark's
         * steering is in force, stop before it goes.
         */
        default void steer(boolean on, boolean others) throws IOException {
            throw new UnsupportedOperationException("no bypass here");
        }

        /**
         * Like {@link #acquireApp}, for an excluded app ({@code [[interface.excludedApps]]}): an identity with
         * no grants that goes around the tunnels.
         */
        default Path acquireExcludedApp(String app) throws IOException {
            throw new UnsupportedOperationException("no excluded apps here");
        }

        EnforcementStatus status();

        /** Ends enforcement for good (the daemon's orderly stop); returns what failed, in words. */
        List<String> shutdown();
    }

    /**
     * One tunnel's share of the policy.
     *
     * @param internal each internal prefix and the name of the peer it belongs to
     * @param exclusions prefixes inside {@code internal} that routing sends elsewhere
     * @param grants each app's grants
     * @param executables the apps whose grants are bound to their executables, each with the programs
     *     its config names (its {@code exec} and {@code allowExec}); what {@code wg-pr run} starts is
     *     added at launch
     * @param bypass whether non-apps go around the tunnel to its internal prefixes ({@code others =
     *     "bypass"}) instead of being denied them
     * @param excludes whether the tunnel has excluded apps, which go around its default route's parts
     *     (every internal prefix of a bypass tunnel)
     */
    record TunnelPolicy(
            String tunnel,
            Map<IpPrefix, String> internal,
            List<IpPrefix> exclusions,
            Map<String, List<Grant>> grants,
            Map<String, List<Path>> executables,
            boolean bypass,
            boolean excludes,
            Map<String, List<Listen>> listen,
            Incoming incoming) {
        /** A share whose apps listen on nothing from the tunnel, {@code incoming = "apps"}. */
        TunnelPolicy(
                String tunnel,
                Map<IpPrefix, String> internal,
                List<IpPrefix> exclusions,
                Map<String, List<Grant>> grants,
                Map<String, List<Path>> executables,
                boolean bypass,
                boolean excludes) {
            this(tunnel, internal, exclusions, grants, executables, bypass, excludes, Map.of(), Incoming.APPS);
        }

        /** A share whose internal prefixes are denied to non-apps. */
        TunnelPolicy(
                String tunnel,
                Map<IpPrefix, String> internal,
                List<IpPrefix> exclusions,
                Map<String, List<Grant>> grants,
                Map<String, List<Path>> executables) {
            this(tunnel, internal, exclusions, grants, executables, false, false);
        }

        TunnelPolicy {
            internal = Map.copyOf(internal);
            exclusions = List.copyOf(exclusions);
            grants = Map.copyOf(grants);
            executables = copyPerApp(executables);
            listen = copyPerApp(listen);
            Objects.requireNonNull(incoming, "incoming");
        }

        /** An unmodifiable copy of a list per app, in the apps' order. */
        private static <T> Map<String, List<T>> copyPerApp(Map<String, List<T>> perApp) {
            Map<String, List<T>> copy = new LinkedHashMap<>();
            perApp.forEach((app, items) -> copy.put(app, List.copyOf(items)));
            return Collections.unmodifiableMap(copy);
        }
    }
}
