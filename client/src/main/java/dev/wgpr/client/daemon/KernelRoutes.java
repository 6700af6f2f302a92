package dev.wgpr.client.daemon;

import dev.wgpr.client.config.TunnelConfig;
import dev.wgpr.client.control.TunnelStatus;
import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.common.net.IpText;
import dev.wgpr.routes.ReversePathFilter;
import dev.wgpr.routes.RouteTag;
import dev.wgpr.routes.RoutedTunnel;
import dev.wgpr.routes.RoutingRequest;
import dev.wgpr.routes.TunnelRouting;
import dev.wgpr.routes.UnderlaySteering;
import dev.wgpr.routes.netlink.InterfaceAddress;
import dev.wgpr.routes.netlink.Link;
import dev.wgpr.routes.netlink.Route;
import dev.wgpr.routes.netlink.RtNetlink;
import java.io.IOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The routes piece: a tunnel's config as a {@link RoutingRequest} for the routes module's {@link
 * TunnelRouting}, which installs, updates and takes back the routes in the daemon's network namespace,
 * each tagged with the instance's {@link RouteTag}.
 */
final class KernelRoutes implements Pieces.RouteInstaller {
    private final TunnelRouting routing;
    /** What the steering turned off, for the next daemon after a crash. */
    private final Path reversePathRecord;

    KernelRoutes(Instance instance) {
        this.routing = TunnelRouting.inThisNamespace(RouteTag.forInstance(instance.name()));
        this.reversePathRecord = instance.runtimeDirectory().resolve("rp_filter.before");
    }

    @Override
    public List<String> holdStale() throws IOException {
        return inWords(routing.holdStale());
    }

    @Override
    public List<String> releaseHeld() throws IOException {
        return inWords(routing.releaseHeld());
    }

    @Override
    public List<String> held() {
        return inWords(routing.held());
    }

    @Override
    public Pieces.Routing install(TunnelConfig config, String interfaceName, List<InetAddress> endpoints)
            throws IOException {
        return new Installed(routing.install(request(config, interfaceName, endpoints)));
    }

    @Override
    public Pieces.Steering steerAround(int mark) throws IOException {
        UnderlaySteering steering = UnderlaySteering.forMark(mark);
        List<String> notes = new ArrayList<>();
        ReversePathFilter filter;
        try (RtNetlink rt = RtNetlink.open()) {
            steering.remove(rt); // a crashed run's, if any: the mirror must be of main as it is now
            notes.addAll(steering.install(rt));
            try {
                filter = ReversePathFilter.turnOff(tunnelInterfaces(rt), reversePathRecord);
            } catch (IOException | RuntimeException e) {
                steering.remove(rt);
                throw e;
            }
        }
        if (!filter.turnedOff().isEmpty()) {
            notes.add("rp_filter off on " + String.join(", ", filter.turnedOff())
                    + ": replies to traffic around the tunnels come from addresses routed into them");
        }
        return new Pieces.Steering() {
            @Override
            public List<String> notes() {
                return List.copyOf(notes);
            }

            @Override
            public List<String> follow() throws IOException {
                try (RtNetlink rt = RtNetlink.open()) {
                    return steering.follow(rt);
                }
            }

            @Override
            public void close() throws IOException {
                try (RtNetlink rt = RtNetlink.open()) {
                    steering.remove(rt);
                } finally {
                    filter.restore();
                }
            }
        };
    }

    @Override
    public List<String> removeStaleSteering(int mark) throws IOException {
        UnderlaySteering steering = UnderlaySteering.forMark(mark);
        List<String> removed = new ArrayList<>();
        try (RtNetlink rt = RtNetlink.open()) {
            boolean rules = steering.inForce(rt);
            int routes = rt.routes(true, steering.table()).size()
                    + rt.routes(false, steering.table()).size();
            if (rules || routes != 0) {
                steering.remove(rt);
                removed.add("removed stale underlay steering of mark 0x" + Integer.toHexString(mark) + " (rules"
                        + (rules ? "" : " already gone") + ", " + routes + " mirrored routes)");
            }
        }
        List<String> putBack = ReversePathFilter.restoreRecorded(reversePathRecord);
        if (!putBack.isEmpty()) {
            removed.add("rp_filter on " + String.join(", ", putBack) + " as before the crashed run turned it off");
        }
        return removed;
    }

    /** The devices wg-pr's routes lead to: tunnels, whose own rp_filter is not the underlay's. */
    private static Set<String> tunnelInterfaces(RtNetlink rt) throws IOException {
        Set<Integer> indexes = UnderlaySteering.tunnelLinks(rt.mainRoutes());
        Set<String> names = new HashSet<>();
        for (Link link : rt.links()) {
            if (indexes.contains(link.index())) {
                names.add(link.name());
            }
        }
        return names;
    }

    private static List<String> inWords(List<Route> routes) {
        return routes.stream().map(Route::toString).toList();
    }

    private static RoutingRequest request(TunnelConfig config, String interfaceName, List<InetAddress> endpoints) {
        List<IpPrefix> allowed = config.peers().stream()
                .flatMap(peer -> peer.allowedIPs().stream())
                .distinct()
                .toList();
        List<InterfaceAddress> addresses = config.iface().addresses().stream()
                .map(a -> new InterfaceAddress(a.address(), a.prefixLength()))
                .toList();
        return new RoutingRequest(
                interfaceName,
                config.routeMode(),
                allowed,
                endpoints,
                addresses,
                config.iface().mtu());
    }

    /** One tunnel's routing as installed. */
    private record Installed(RoutedTunnel routes) implements Pieces.Routing {
        @Override
        public List<String> update(TunnelConfig config, List<InetAddress> endpoints) throws IOException {
            String interfaceName = routes.interfaceName();
            RoutedTunnel.Changes changes = routes.update(request(config, interfaceName, endpoints));
            List<String> words = new ArrayList<>();
            changes.added().forEach(c -> words.add("+ " + c));
            changes.removed().forEach(c -> words.add("- " + c));
            return words;
        }

        @Override
        public List<IpPrefix> routed() {
            return routes.routed();
        }

        @Override
        public List<IpPrefix> exclusions() {
            return routes.exclusions();
        }

        @Override
        public TunnelStatus.Routing status() {
            List<String> installed = new ArrayList<>();
            routes.hostRoutes()
                    .forEach(route -> installed.add(route.describe(KernelRoutes::interfaceName, RouteTag::protocolName)
                            + " (shared with the daemon's other tunnels to this server)"));
            routes.changes().forEach(change -> installed.add(change.describe(KernelRoutes::interfaceName)));
            return new TunnelStatus.Routing(
                    installed,
                    routes.bypass().stream()
                            .map(decision -> new TunnelStatus.Bypass(
                                    IpText.of(decision.endpoint()),
                                    decision.hostRoute()
                                            .map(route ->
                                                    route.describe(KernelRoutes::interfaceName, RouteTag::protocolName))
                                            .orElse(null),
                                    decision.reason()))
                            .toList(),
                    routes.exclusions().stream().map(IpText::of).toList());
        }

        @Override
        public void close() throws IOException {
            routes.close();
        }
    }

    /** The name of interface {@code index} in this network namespace, as {@code ip} shows it. */
    private static String interfaceName(int index) {
        try {
            NetworkInterface found = NetworkInterface.getByIndex(index);
            return found == null ? "#" + index : found.getName();
        } catch (SocketException e) {
            return "#" + index;
        }
    }
}
