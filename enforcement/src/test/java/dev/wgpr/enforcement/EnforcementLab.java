package dev.wgpr.enforcement;

import dev.wgpr.enforcement.bpf.BpfException;
import dev.wgpr.testing.lab.Namespace;
import dev.wgpr.testing.lab.NetnsLab;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The kernel tests' world: a lab namespace "client" with a stand-in tunnel device for the internal
 * prefixes (10.20.0.0/16, fd10:20::/32) and one for the default routes (the "Internet"), both veths
 * into a namespace "sink" that drops everything, and a veth to a namespace "lan" for the exclusion
 * 10.20.99.0/24 and fd10:20:99::/48. Nothing leaves the lab's namespaces. Enforcement is attached at the REAL cgroup2
 * root under a unique instance name; it judges only sockets of the client namespace.
 */
final class EnforcementLab implements AutoCloseable {
    static final String INTERNAL_V4 = "10.20.0.0/16";
    static final String INTERNAL_V6 = "fd10:20::/32";
    static final String EXCLUDED_V4 = "10.20.99.0/24";
    static final String EXCLUDED_V6 = "fd10:20:99::/48";

    private static final SecureRandom RANDOM = new SecureRandom();

    final NetnsLab lab;
    final Namespace client;
    final Namespace lan;
    final long cookie;
    final Enforcer enforcer;
    private final List<Prober> probers = new ArrayList<>();

    private final Path benchParent;

    private EnforcementLab(
            NetnsLab lab, Namespace client, Namespace lan, long cookie, Enforcer enforcer, Path benchParent) {
        this.benchParent = benchParent;
        this.lab = lab;
        this.client = client;
        this.lan = lan;
        this.cookie = cookie;
        this.enforcer = enforcer;
    }

    static String uniqueInstance() {
        byte[] random = new byte[5];
        RANDOM.nextBytes(random);
        return "wg-pr-test-" + HexFormat.of().formatHex(random);
    }

    /** The base policy: the lab's internal prefixes and exclusions, no grants. */
    static Policy.Builder basePolicy() {
        return Policy.builder()
                .internal(INTERNAL_V4, 0)
                .internal(INTERNAL_V6, 0)
                .exclude(EXCLUDED_V4)
                .exclude(EXCLUDED_V6);
    }

    static EnforcementLab create(NetnsLab lab, Policy initial) throws IOException {
        return create(lab, initial, false);
    }

    /**
     * With {@code inBenchParent}, the instance cgroup is made in a cgroup of its own, {@code
     * <cgroup2>/<instance>.bench}, and the programs are attached there instead of at the cgroup2 root,
     * so only processes inside it run them (benchmarks: no noise from the rest of the machine, a
     * baseline process outside that runs no program at all, and room beside the instance for a process
     * that is no app, as most of a machine's are: {@link #benchParent()}).
     */
    static EnforcementLab create(NetnsLab lab, Policy initial, boolean inBenchParent) throws IOException {
        Namespace client = lab.namespace("client");
        Namespace lan = lab.namespace("lan");
        Namespace sink = lab.namespace("sink");
        // No dummy driver on this kernel: veth pairs into a sink namespace that has no address for
        // what arrives, so it drops it (neighbour resolution already fails).
        String tun = lab.veth(client, sink).a().name();
        String inet = lab.veth(client, sink).a().name();
        client.address(tun, "10.20.255.1/32", "fd10:20:ffff::1/128");
        client.address(inet, "192.0.2.2/24", "2001:db8:2::2/64");
        client.routeDev(INTERNAL_V4, tun).routeDev(INTERNAL_V6, tun);
        client.routeDev("0.0.0.0/0", inet).routeDev("::/0", inet);
        var veth = lab.veth(client, lan);
        veth.a().address("10.20.99.2/24", "fd10:20:99::2/64");
        veth.b().address("10.20.99.1/24", "fd10:20:99::1/64");
        long cookie = client.call(NetnsCookie::ofCurrentThread);
        Enforcer.Config config = Enforcer.Config.atRoot(uniqueInstance(), cookie);
        Path benchParent = null;
        if (inBenchParent) {
            benchParent = Files.createDirectory(config.cgroup2().resolve(config.instance() + ".bench"));
            config = new Enforcer.Config(
                    config.instance(), config.cgroup2(), benchParent, config.bpffs(), cookie, benchParent);
        }
        try {
            Enforcer enforcer = Enforcer.start(config, initial);
            return new EnforcementLab(lab, client, lan, cookie, enforcer, benchParent);
        } catch (IOException | RuntimeException e) {
            if (benchParent != null) {
                Files.deleteIfExists(benchParent);
            }
            throw e;
        }
    }

    /** The cgroup the instance cgroup is in and the programs are attached at, with {@code inBenchParent}. */
    Path benchParent() {
        return Objects.requireNonNull(benchParent, "not made in a bench parent");
    }

    /** Enforcement for an existing client namespace built by the caller (no sink, no LAN made here). */
    static EnforcementLab createIn(NetnsLab lab, Namespace client, Policy initial) throws IOException {
        long cookie = client.call(NetnsCookie::ofCurrentThread);
        Enforcer enforcer = Enforcer.start(Enforcer.Config.atRoot(uniqueInstance(), cookie), initial);
        return new EnforcementLab(lab, client, null, cookie, enforcer, null);
    }

    /** A prober in the client namespace, in {@code cgroup} if given (else in the test's own cgroup: no app). */
    Prober prober(String label, Optional<Path> cgroup) throws IOException {
        Prober prober = Prober.start(label, client.name(), cgroup, lab.scratchDir());
        probers.add(prober);
        return prober;
    }

    /** A {@link Listener} in the client namespace, in {@code cgroup} if given (else no app); the caller closes it. */
    Listener listen(String proto, String family, int port, Optional<Path> cgroup)
            throws IOException, InterruptedException {
        return Listener.start(client, lab.scratchDir(), proto, family, port, cgroup);
    }

    /** Creates a cgroup below {@code parent} (e.g. inside an app, or at the instance level). */
    Path childCgroup(Path parent, String name) throws IOException {
        Path dir = parent.resolve(name);
        Files.createDirectory(dir);
        return dir;
    }

    /** Detaches every tunnel's filters, from the client namespace where they are found by ifindex. */
    void detachTunnels() {
        client.call(() -> {
            for (int guarded : enforcer.tunnelFilters().keySet()) {
                enforcer.detachTunnel(guarded);
            }
            return null;
        });
    }

    void publish(Policy policy) throws BpfException {
        enforcer.publish(policy);
    }

    /** Stops the probers (by their own process handles), then removes enforcement; the lab closes itself. */
    @Override
    public void close() throws IOException {
        IOException failure = null;
        for (Prober prober : probers) {
            try {
                prober.close();
            } catch (IOException e) {
                failure = e;
            }
        }
        // Every cgroup below the instance (or the bench parent) goes first (rmdir, deepest first): apps
        // and test-made ones.
        Path top = benchParent != null ? benchParent : enforcer.instanceCgroup();
        try (var walk = Files.walk(top)) {
            List<Path> dirs = walk.filter(Files::isDirectory)
                    .filter(p -> !p.equals(top) && !p.equals(enforcer.instanceCgroup()))
                    .sorted((a, b) -> b.getNameCount() - a.getNameCount())
                    .toList();
            for (Path dir : dirs) {
                Files.deleteIfExists(dir);
            }
        } catch (IOException e) {
            failure = failure == null ? e : failure;
        }
        try {
            enforcer.close();
            if (benchParent != null) {
                Files.deleteIfExists(benchParent);
            }
        } catch (IOException e) {
            failure = failure == null ? e : failure;
        }
        if (failure != null) {
            throw failure;
        }
    }
}
