package dev.wgpr.client.daemon;

import dev.wgpr.client.config.AppConfig;
import dev.wgpr.client.config.DnsConfig;
import dev.wgpr.client.config.PeerConfig;
import dev.wgpr.client.config.TunnelConfig;
import dev.wgpr.client.dns.DnsForwarder;
import dev.wgpr.client.dns.HostResolver;
import dev.wgpr.client.dns.ResolvConfServers;
import dev.wgpr.client.dns.ResolvedNames;
import dev.wgpr.common.ThreadFailures;
import dev.wgpr.common.net.InterfaceAddress;
import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.enforcement.policy.Grant;
import dev.wgpr.routes.RouteMode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * The tunnel's DNS forwarder, when its config has DNS servers: started once the tunnel's addresses are on
 * its link (the link face binds them), started anew when a reload changes what it serves, stopped by
 * {@code down}. The upstream for names outside the tunnel's zones is read once, at the tunnel's first
 * start, before anything told the host's resolver about the tunnel, and kept across reloads; it never
 * names a face of this daemon's forwarders, which the host's resolver may already have been told about
 * for another tunnel.
 */
final class DnsStage implements UpStages.Stage {
    /** How the file of a tunnel's resolver view is named after the tunnel. */
    private static final String VIEW = ".resolv.conf";

    /** The standard DNS port, on every face. */
    static final int PORT = 53;

    /**
     * The daemon's own leaf as an app of the enforcement, granted exactly the tunnels' DNS servers on
     * port 53. Upper case, which no app name of a config has.
     */
    static final String IDENTITY = "DNS-forwarder";

    /**
     * What every tunnel's forwarder shares.
     *
     * @param hostServers the host's nameservers before any tunnel told its resolver anything ({@link
     *     HostResolver#serversBeforeUp})
     * @param instance whose apps faces these are: each instance has its own /24 of 127.77.0.0/16
     * @param leaf the daemon's own cgroup leaf ({@link DaemonLeaf}), registered as {@link #IDENTITY}
     *     while a tunnel's forwarder runs; empty (a daemon inside a test's JVM): the forwarder's queries
     *     to the tunnel's servers are judged as any process's
     * @param names where the forwarders learn what they relay, for the control socket's {@code names}
     */
    record Settings(
            Supplier<List<InetSocketAddress>> hostServers,
            Instance instance,
            ThreadFailures failures,
            Optional<Path> leaf,
            ResolvedNames names) {}

    private final Settings settings;
    private final UpStages.PolicyShares shares;
    private final Pieces.EnforcementLayer enforcement;
    private final Path views;
    private final int appsFaceNetwork;
    /** The plan of every tunnel's forwarder, by tunnel: the faces taken. */
    private final Map<String, DnsForwarder.Plan> plans = new HashMap<>();

    DnsStage(Settings settings, UpStages.PolicyShares shares, Pieces.EnforcementLayer enforcement) {
        this.settings = settings;
        this.shares = shares;
        this.enforcement = enforcement;
        this.views = settings.instance().runtimeDirectory().resolve("dns");
        this.appsFaceNetwork = Math.floorMod(settings.instance().name().hashCode(), 254) + 1;
    }

    /** The host's nameservers before this instance's tunnels told its resolver anything. */
    static List<InetSocketAddress> hostServers(Path resolverState) {
        try {
            return HostResolver.serversBeforeUp(resolverState);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "reading the host's nameservers (" + HostResolver.RESOLV_CONF + "): " + e.getMessage(), e);
        }
    }

    @Override
    public UpStages.Step reconcile(Tunnels.Active tunnel, UpStages.Target target) throws IOException {
        Optional<DnsForwarder.Plan> before = tunnel.dns.map(r -> tunnel.dnsPlan);
        TunnelConfig configBefore = tunnel.config;
        Rollback.Undo putBack = () -> {
            remove(tunnel);
            if (before.isPresent()) {
                start(tunnel, configBefore, before.get());
            }
        };
        DnsConfig dns = target.config().iface().dns();
        if (dns.servers().isEmpty()) {
            if (before.isEmpty()) {
                return UpStages.Step.NOTHING;
            }
            remove(tunnel);
            return new UpStages.Step(putBack, List.of("DNS forwarder stopped"));
        }
        DnsForwarder.Plan plan = plan(tunnel, target.config());
        if (before.isPresent()
                && before.get().equals(plan)
                && share(configBefore, plan).equals(share(target.config(), plan))) {
            return UpStages.Step.NOTHING;
        }
        stop(tunnel);
        try {
            start(tunnel, target.config(), plan);
        } catch (IOException | RuntimeException e) {
            try {
                putBack.run();
            } catch (Exception again) {
                e.addSuppressed(again);
            }
            throw e;
        }
        return new UpStages.Step(putBack, List.of("DNS forwarder on " + describe(tunnel.dns.orElseThrow())));
    }

    /**
     * Starts the tunnel's forwarder once the enforcement knows it: the apps face internal, granted to
     * the tunnel's apps on udp and tcp 53, and the daemon's identity granted the tunnel's DNS servers.
     */
    private void start(Tunnels.Active tunnel, TunnelConfig config, DnsForwarder.Plan plan) throws IOException {
        plans.put(tunnel.name(), plan);
        tunnel.dnsPlan = plan;
        if (!tunnel.dnsIdentity && settings.leaf().isPresent()) {
            enforcement.acquireIdentity(IDENTITY, settings.leaf().get());
            tunnel.dnsIdentity = true;
        }
        shares.put(shareName(tunnel), share(config, plan));
        tunnel.dnsView = writeView(tunnel.name(), plan.appsAddress());
        tunnel.dns = Optional.of(DnsForwarder.start(plan, settings.failures(), settings.names()));
    }

    /** The DNS share of the tunnel's policy, beside the share of its routes. */
    private static String shareName(Tunnels.Active tunnel) {
        return tunnel.name() + " DNS";
    }

    static Pieces.TunnelPolicy share(TunnelConfig config, DnsForwarder.Plan plan) {
        IpPrefix face = IpPrefix.host(plan.appsAddress());
        Map<String, List<Grant>> grants = new LinkedHashMap<>();
        List<Grant> faceGrants = List.of(Grant.parse(face + " udp/" + PORT), Grant.parse(face + " tcp/" + PORT));
        for (PeerConfig peer : config.peers()) {
            for (AppConfig app : peer.allowedApps()) {
                grants.put(app.name(), faceGrants);
            }
        }
        List<Grant> servers = new ArrayList<>();
        for (InetSocketAddress server : plan.tunnelServers()) {
            servers.add(Grant.parse(IpPrefix.host(server.getAddress()) + " udp/" + PORT));
            servers.add(Grant.parse(IpPrefix.host(server.getAddress()) + " tcp/" + PORT));
        }
        grants.put(IDENTITY, servers);
        return new Pieces.TunnelPolicy(
                config.iface().name(), Map.of(face, config.peers().getFirst().name()), List.of(), grants, Map.of());
    }

    /** Stops the forwarder, keeping its plan (its apps face and upstream) for a start again. */
    private static void stop(Tunnels.Active tunnel) {
        tunnel.dns.ifPresent(DnsForwarder::close);
        tunnel.dns = Optional.empty();
    }

    @Override
    public void remove(Tunnels.Active tunnel) throws IOException {
        stop(tunnel);
        if (tunnel.dnsView != null) {
            Files.deleteIfExists(tunnel.dnsView);
            tunnel.dnsView = null;
        }
        shares.remove(shareName(tunnel));
        if (tunnel.dnsIdentity) {
            tunnel.dnsIdentity = false;
            enforcement.releaseApp(IDENTITY);
        }
        if (tunnel.dnsPlan != null) {
            plans.remove(tunnel.name());
            tunnel.dnsPlan = null;
        }
    }

    @Override
    public String what(Tunnels.Active tunnel) {
        return "DNS forwarder of " + tunnel.name();
    }

    private static String describe(DnsForwarder forwarder) {
        List<String> faces = new ArrayList<>();
        forwarder.linkFaces().forEach(f -> faces.add(f.getAddress().getHostAddress()));
        faces.add(forwarder.appsFace().getAddress().getHostAddress() + " (apps)");
        return String.join(", ", faces);
    }

    /**
     * The resolv.conf the tunnel's apps see (root's, 0644, under the runtime directory): only the apps
     * face, so every name they look up goes through the forwarder, which sends the tunnel's zones
     * through the tunnel and the rest where the host sent it.
     */
    private Path writeView(String tunnel, InetAddress appsFace) throws IOException {
        Files.createDirectories(views);
        Path view = views.resolve(tunnel + VIEW);
        Path next = views.resolve(tunnel + VIEW + ".new");
        Files.writeString(
                next,
                "# wg-pr: what the apps of tunnel " + tunnel + " see as /etc/resolv.conf\n"
                        + "nameserver " + appsFace.getHostAddress() + "\n"
                        + "options edns0 trust-ad\n");
        Files.setPosixFilePermissions(next, PosixFilePermissions.fromString("rw-r--r--"));
        Files.move(next, view, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return view;
    }

    /** What the forwarder of {@code config} serves, keeping the apps face and upstream of the one before. */
    private DnsForwarder.Plan plan(Tunnels.Active tunnel, TunnelConfig config) throws IOException {
        DnsConfig dns = config.iface().dns();
        List<InetAddress> link = linkAddresses(config);
        List<InetSocketAddress> tunnelServers = dns.servers().stream()
                .map(server -> new InetSocketAddress(server, PORT))
                .toList();
        DnsForwarder.Plan kept = tunnel.dnsPlan;
        InetAddress appsFace = kept != null ? kept.appsAddress() : appsFaceFor(tunnel.name());
        List<InetSocketAddress> upstream;
        if (config.routeMode() == RouteMode.DI_SEMI_DEFAULT) {
            upstream = tunnelServers; // a full tunnel: every name goes where all traffic goes
        } else if (kept != null && !kept.upstreamServers().equals(kept.tunnelServers())) {
            upstream = kept.upstreamServers();
        } else {
            Set<InetAddress> faces = facesTaken();
            faces.addAll(link);
            faces.add(appsFace);
            upstream = settings.hostServers().get().stream()
                    .filter(server -> !faces.contains(server.getAddress()))
                    .toList();
        }
        return new DnsForwarder.Plan(link, appsFace, PORT, dns, tunnelServers, upstream);
    }

    /** The first IPv4 and the first IPv6 address of the interface: where the host's resolver asks. */
    static List<InetAddress> linkAddresses(TunnelConfig config) {
        List<InetAddress> link = new ArrayList<>();
        config.iface().addresses().stream()
                .filter(InterfaceAddress::isIpv4)
                .findFirst()
                .ifPresent(a -> link.add(a.address()));
        config.iface().addresses().stream().filter(a -> !a.isIpv4()).findFirst().ifPresent(a -> link.add(a.address()));
        return link;
    }

    /**
     * The apps face of a tunnel whose forwarder starts anew: the one its view names when a crashed daemon
     * left it (the apps that outlived that daemon have the view bind-mounted as their /etc/resolv.conf,
     * so the face must not move when the next daemon brings the tunnel up again, whichever tunnel comes
     * first); else a loopback address of 127.77.N.0/24 (N this instance's) that no forwarder of this
     * daemon and no view left for another tunnel has: not 127.0.0.53/54 (systemd-resolved's) nor anything
     * else a host usually serves on loopback.
     */
    private InetAddress appsFaceFor(String tunnel) throws IOException {
        Set<InetAddress> taken = facesTaken();
        Map<String, InetAddress> left = facesOfViews();
        InetAddress own = left.remove(tunnel);
        taken.addAll(left.values());
        if (own != null && !taken.contains(own)) {
            return own;
        }
        for (int host = 1; host < 255; host++) {
            InetAddress candidate = loopback(appsFaceNetwork, host);
            if (!taken.contains(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("every apps face address of 127.77." + appsFaceNetwork + ".0/24 is taken");
    }

    /** The apps face each view in the views directory names, by tunnel. */
    private Map<String, InetAddress> facesOfViews() throws IOException {
        Map<String, InetAddress> faces = new HashMap<>();
        if (!Files.isDirectory(views)) {
            return faces;
        }
        List<Path> files;
        try (Stream<Path> listed = Files.list(views)) {
            files = listed.filter(file -> file.getFileName().toString().endsWith(VIEW))
                    .toList();
        }
        for (Path view : files) {
            String name = view.getFileName().toString();
            ResolvConfServers.read(view).stream()
                    .map(InetSocketAddress::getAddress)
                    .filter(this::isAppsFace)
                    .findFirst()
                    .ifPresent(face -> faces.put(name.substring(0, name.length() - VIEW.length()), face));
        }
        return faces;
    }

    /** Whether {@code address} is in this instance's /24 of apps faces. */
    private boolean isAppsFace(InetAddress address) {
        byte[] bytes = address.getAddress();
        return bytes.length == 4 && bytes[0] == 127 && bytes[1] == 77 && (bytes[2] & 0xff) == appsFaceNetwork;
    }

    /** Every face of this daemon's forwarders, link and apps. */
    private Set<InetAddress> facesTaken() {
        Set<InetAddress> faces = new HashSet<>();
        for (DnsForwarder.Plan plan : plans.values()) {
            faces.addAll(plan.linkAddresses());
            faces.add(plan.appsAddress());
        }
        return faces;
    }

    private static InetAddress loopback(int third, int fourth) {
        try {
            return InetAddress.getByAddress(new byte[] {127, 77, (byte) third, (byte) fourth});
        } catch (UnknownHostException e) {
            throw new UncheckedIOException(e); // four bytes are always an address
        }
    }
}
