package dev.wgpr.client.daemon;

import dev.wgpr.client.config.TunnelConfig;
import dev.wgpr.client.control.EnforcementStatus;
import dev.wgpr.client.control.TunnelStatus;
import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.enforcement.ExecutableId;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The pieces of {@link Pieces} in memory, so that {@link Tunnels}, {@link UpStages} and {@link Reload}
 * run without root: each records what it was asked to do in one {@link #journal} ("create corp0",
 * "publish corp0", ...), keeps what is in force (devices, routes, the published policy, guards, app
 * cgroups), and fails the operation {@link #failOn} names, as the kernel would: before changing
 * anything.
 */
final class InMemoryPieces {
    final List<String> journal = new ArrayList<>();
    final Map<String, TunnelConfig> devices = new LinkedHashMap<>();
    final Map<String, List<IpPrefix>> routes = new LinkedHashMap<>();
    final Set<String> guarded = new LinkedHashSet<>();
    final Map<String, Integer> apps = new LinkedHashMap<>();
    Map<String, Pieces.TunnelPolicy> published = Map.of();
    /** Every generation published, in order. */
    final List<Map<String, Pieces.TunnelPolicy>> generations = new ArrayList<>();
    /** What the kernel's routing keeps out of every tunnel now (a LAN inside its prefixes). */
    List<IpPrefix> exclusions = List.of();

    private final List<Failure> failing = new ArrayList<>();

    private static final class Failure {
        final String operation;
        int passing;

        Failure(String operation, int passing) {
            this.operation = operation;
            this.passing = passing;
        }
    }

    /** The next operation whose journal entry starts with {@code operation} fails. */
    void failOn(String operation) {
        failOn(operation, 0);
    }

    /** Of the operations whose journal entries start with {@code operation}, the one after {@code passing} more fails. */
    void failOn(String operation, int passing) {
        failing.add(new Failure(operation, passing));
    }

    /** The journal entries that start with {@code operation}. */
    List<String> entries(String operation) {
        return journal.stream().filter(entry -> entry.startsWith(operation)).toList();
    }

    /** Whether nothing of any tunnel is in force. */
    boolean nothingInForce() {
        return devices.isEmpty() && routes.isEmpty() && guarded.isEmpty() && apps.isEmpty() && published.isEmpty();
    }

    Pieces pieces() {
        return new Pieces(new Devices(), new Routes(), new Enforcement());
    }

    private void record(String entry) throws IOException {
        for (Failure failure : failing) {
            if (entry.startsWith(failure.operation) && failure.passing-- == 0) {
                failing.remove(failure);
                throw new IOException("refused: " + entry);
            }
        }
        journal.add(entry);
    }

    private final class Devices implements Pieces.TunnelDevices {
        @Override
        public Pieces.Device create(TunnelConfig config, Map<String, InetSocketAddress> endpoints) throws IOException {
            String name = config.iface().name();
            record("create " + name);
            devices.put(name, config);
            return new Device(InMemoryPieces.this, name);
        }
    }

    /** Records {@code operation} on {@code name}, then forgets what {@code state} held for it. */
    private void take(String operation, String name, Map<String, ?> state) throws IOException {
        record(operation + " " + name);
        state.remove(name);
    }

    private record Device(InMemoryPieces kernel, String interfaceName) implements Pieces.Device {
        @Override
        public List<TunnelStatus.Traffic> peers() {
            return List.of();
        }

        @Override
        public TunnelStatus.Device status() {
            return new TunnelStatus.Device("userspace", 0, "", Map.of(), Map.of(), null);
        }

        @Override
        public void reconfigure(TunnelConfig config, Map<String, InetSocketAddress> endpoints) throws IOException {
            kernel.record("reconfigure " + interfaceName);
            kernel.devices.put(interfaceName, config);
        }

        @Override
        public void close() throws IOException {
            kernel.take("close", interfaceName, kernel.devices);
        }
    }

    private final class Routes implements Pieces.RouteInstaller {
        @Override
        public Pieces.Routing install(TunnelConfig config, String interfaceName, List<InetAddress> endpoints)
                throws IOException {
            record("install " + interfaceName);
            routes.put(interfaceName, config.routePlan().tunnelPrefixes());
            return new Routing(interfaceName);
        }

        @Override
        public List<String> holdStale() {
            return List.of();
        }

        @Override
        public List<String> held() {
            return List.of();
        }

        @Override
        public List<String> releaseHeld() {
            return List.of();
        }
    }

    private final class Routing implements Pieces.Routing {
        private final String name;
        /** The exclusions as read when the routes were last decided, as the real routing keeps them. */
        private List<IpPrefix> decided = exclusions;

        Routing(String name) {
            this.name = name;
        }

        @Override
        public List<IpPrefix> routed() {
            return routes.get(name);
        }

        @Override
        public List<IpPrefix> exclusions() {
            return decided;
        }

        @Override
        public TunnelStatus.Routing status() {
            return new TunnelStatus.Routing(List.of(), List.of(), List.of());
        }

        @Override
        public List<String> update(TunnelConfig config, List<InetAddress> endpoints) throws IOException {
            List<IpPrefix> next = config.routePlan().tunnelPrefixes();
            record("update " + name + " " + next);
            List<IpPrefix> before = routes.put(name, next);
            decided = exclusions;
            return before.equals(next) ? List.of() : List.of("routes now " + next);
        }

        @Override
        public void close() throws IOException {
            take("uninstall", name, routes);
        }
    }

    private final class Enforcement implements Pieces.EnforcementLayer {
        @Override
        public Path acquireApp(String app) throws IOException {
            record("acquire " + app);
            apps.merge(app, 1, Integer::sum);
            return Path.of("/sys/fs/cgroup/wg-pr-test", app);
        }

        @Override
        public void acquireIdentity(String name, Path cgroup) throws IOException {
            record("identity " + name + " " + cgroup);
            apps.merge(name, 1, Integer::sum);
        }

        @Override
        public void releaseApp(String app) throws IOException {
            record("release " + app);
            apps.computeIfPresent(app, (name, count) -> count > 1 ? count - 1 : null);
        }

        @Override
        public void publish(Map<String, Pieces.TunnelPolicy> tunnels) throws IOException {
            record("publish " + tunnels.keySet().stream().sorted().toList());
            published = Map.copyOf(tunnels);
            generations.add(published);
        }

        @Override
        public void allowExecutables(String app, List<ExecutableId> files) throws IOException {
            record("allow executables of " + app);
        }

        @Override
        public void guardDevice(String interfaceName) throws IOException {
            record("guard " + interfaceName);
            guarded.add(interfaceName);
        }

        @Override
        public void unguardDevice(String interfaceName) throws IOException {
            record("unguard " + interfaceName);
            guarded.remove(interfaceName);
        }

        @Override
        public boolean deviceGuarded(String interfaceName) {
            return guarded.contains(interfaceName);
        }

        @Override
        public EnforcementStatus status() {
            return EnforcementStatus.idle();
        }

        @Override
        public List<String> shutdown() {
            return List.of();
        }
    }
}
