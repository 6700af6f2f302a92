package dev.wgpr.client.daemon;

import dev.wgpr.client.config.DnsConfig;
import dev.wgpr.client.config.TunnelConfig;
import dev.wgpr.client.dns.DnsForwarder;
import dev.wgpr.client.dns.ResolvConfServers;
import dev.wgpr.common.ThreadFailures;
import dev.wgpr.common.net.InterfaceAddress;
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
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The tunnel's DNS forwarder, when its config has DNS servers: started once the tunnel's addresses are on
 * its link (the link face binds them), started anew when a reload changes what it serves, stopped by
 * {@code down}. The upstream for names outside the tunnel's zones is read once, at the tunnel's first
 * start, before anything told the host's resolver about the tunnel, and kept across reloads.
 */
final class DnsStage implements UpStages.Stage {
    private static final Path RESOLV_CONF = Path.of("/etc/resolv.conf");

    /** The standard DNS port, on every face. */
    static final int PORT = 53;

    private final Supplier<List<InetSocketAddress>> hostServers;
    private final Path views;
    private final ThreadFailures failures;
    private final int appsFaceNetwork;
    private final Set<InetAddress> appsFacesTaken = new HashSet<>();

    /**
     * @param hostServers the host's nameservers as its resolv.conf names them now
     * @param instance whose apps faces these are: each instance has its own /24 of 127.77.0.0/16
     */
    DnsStage(Supplier<List<InetSocketAddress>> hostServers, Instance instance, ThreadFailures failures) {
        this.hostServers = hostServers;
        this.views = instance.runtimeDirectory().resolve("dns");
        this.failures = failures;
        this.appsFaceNetwork = Math.floorMod(instance.name().hashCode(), 254) + 1;
    }

    /** The host's nameservers, as its /etc/resolv.conf names them now. */
    static List<InetSocketAddress> hostServers() {
        try {
            return ResolvConfServers.read(RESOLV_CONF);
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + RESOLV_CONF + ": " + e.getMessage(), e);
        }
    }

    @Override
    public UpStages.Step reconcile(Tunnels.Active tunnel, UpStages.Target target) throws IOException {
        Optional<DnsForwarder.Plan> before = tunnel.dns.map(r -> tunnel.dnsPlan);
        DnsConfig dns = target.config().iface().dns();
        if (dns.servers().isEmpty()) {
            if (before.isEmpty()) {
                return UpStages.Step.NOTHING;
            }
            remove(tunnel);
            return new UpStages.Step(() -> start(tunnel, before.get()), List.of("DNS forwarder stopped"));
        }
        DnsForwarder.Plan plan = plan(tunnel, target.config());
        if (before.isPresent() && before.get().equals(plan)) {
            return UpStages.Step.NOTHING;
        }
        stop(tunnel);
        try {
            start(tunnel, plan);
        } catch (IOException | RuntimeException e) {
            if (before.isPresent()) {
                try {
                    start(tunnel, before.get());
                } catch (IOException | RuntimeException again) {
                    e.addSuppressed(again);
                }
            }
            throw e;
        }
        return new UpStages.Step(
                () -> {
                    stop(tunnel);
                    if (before.isPresent()) {
                        start(tunnel, before.get());
                    } else {
                        release(plan);
                    }
                },
                List.of("DNS forwarder on " + describe(tunnel.dns.orElseThrow())));
    }

    private void start(Tunnels.Active tunnel, DnsForwarder.Plan plan) throws IOException {
        Path view = writeView(tunnel.name(), plan.appsAddress());
        tunnel.dns = Optional.of(DnsForwarder.start(plan, failures));
        tunnel.dnsPlan = plan;
        tunnel.dnsView = view;
        appsFacesTaken.add(plan.appsAddress());
    }

    /**
     * The resolv.conf the tunnel's apps see (root's, 0644, under the runtime directory): only the apps
     * face, so every name they look up goes through the forwarder, which sends the tunnel's zones
     * through the tunnel and the rest where the host sent it.
     */
    private Path writeView(String tunnel, InetAddress appsFace) throws IOException {
        Files.createDirectories(views);
        Path view = views.resolve(tunnel + ".resolv.conf");
        Path next = views.resolve(tunnel + ".resolv.conf.new");
        Files.writeString(
                next,
                "# wg-pr: what the apps of tunnel " + tunnel + " see as /etc/resolv.conf\n"
                        + "nameserver " + appsFace.getHostAddress() + "\n"
                        + "options edns0 trust-ad\n");
        Files.setPosixFilePermissions(next, PosixFilePermissions.fromString("rw-r--r--"));
        Files.move(next, view, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return view;
    }

    /** Stops the forwarder, keeping its plan (its apps face and upstream) for a start again. */
    private static void stop(Tunnels.Active tunnel) {
        tunnel.dns.ifPresent(DnsForwarder::close);
        tunnel.dns = Optional.empty();
    }

    private void release(DnsForwarder.Plan plan) {
        appsFacesTaken.remove(plan.appsAddress());
    }

    @Override
    public void remove(Tunnels.Active tunnel) throws IOException {
        stop(tunnel);
        if (tunnel.dnsPlan != null) {
            release(tunnel.dnsPlan);
            tunnel.dnsPlan = null;
        }
        if (tunnel.dnsView != null) {
            Files.deleteIfExists(tunnel.dnsView);
            tunnel.dnsView = null;
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

    /** What the forwarder of {@code config} serves, keeping the apps face and upstream of the one before. */
    private DnsForwarder.Plan plan(Tunnels.Active tunnel, TunnelConfig config) {
        DnsConfig dns = config.iface().dns();
        List<InetAddress> link = linkAddresses(config);
        List<InetSocketAddress> tunnelServers = dns.servers().stream()
                .map(server -> new InetSocketAddress(server, PORT))
                .toList();
        DnsForwarder.Plan kept = tunnel.dnsPlan;
        InetAddress appsFace = kept != null ? kept.appsAddress() : freeAppsFace();
        List<InetSocketAddress> upstream;
        if (config.routeMode() == RouteMode.DI_SEMI_DEFAULT) {
            upstream = tunnelServers; // a full tunnel: every name goes where all traffic goes
        } else if (kept != null && !kept.upstreamServers().equals(kept.tunnelServers())) {
            upstream = kept.upstreamServers();
        } else {
            upstream = hostServers.get().stream()
                    .filter(server -> !link.contains(server.getAddress())
                            && !server.getAddress().equals(appsFace))
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
     * A loopback address of 127.77.N.0/24 (N this instance's) no tunnel of this daemon has: not
     * 127.0.0.53/54 (systemd-resolved's) nor anything else a host usually serves on loopback.
     */
    private InetAddress freeAppsFace() {
        for (int host = 1; host < 255; host++) {
            InetAddress candidate = loopback(appsFaceNetwork, host);
            if (!appsFacesTaken.contains(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("every apps face address of 127.77." + appsFaceNetwork + ".0/24 is taken");
    }

    private static InetAddress loopback(int third, int fourth) {
        try {
            return InetAddress.getByAddress(new byte[] {127, 77, (byte) third, (byte) fourth});
        } catch (UnknownHostException e) {
            throw new UncheckedIOException(e); // four bytes are always an address
        }
    }
}
