package dev.wgpr.enforcement;

import dev.wgpr.testing.lab.LabProcess;
import dev.wgpr.testing.lab.Namespace;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.Veth;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The pivot lab: a real internal network behind a stand-in tunnel device, so that a pivot that
 * works actually reaches a host.
 *
 * <pre>
 *   container 172.31.0.2 --(forwarding)--+
 *                                         |
 *   internet 192.0.2.50 ---- client ------+---- tunnel veth (NOARP, like a WireGuard/TUN device,
 *   lan 10.20.99.1 (exclusion) ---+       |     backstop attached) ---- corp: 10.20.1.1/16,
 *                                                                        10.20.0.53, 10.20.5.5,
 *                                                                        10.20.99.5, fd10:20::1,
 *                                                                        fd10:20:99::5
 * </pre>
 *
 * Corp runs TCP listeners, UDP echo servers and a capture of every IP packet arriving from the
 * tunnel: a vector is blocked only when nothing of it arrived. The tunnel veth pair has ARP off and
 * one MAC on both ends, so it carries IP only, as an L3 tunnel does. Enforcement is attached at the
 * real cgroup2 root under a unique instance, plus the backstop on the tunnel device.
 */
final class PivotLab implements AutoCloseable {
    static final String T4 = "10.20.1.1";
    static final String T6 = "fd10:20::1";
    static final String X4 = "10.20.99.5"; // inside corp, but the client routes 10.20.99.0/24 to its LAN
    static final String X6 = "fd10:20:99::5";
    static final String DNS4 = "10.20.0.53";
    static final String WEB_HOST = "10.20.5.5";
    static final String TUN_ADDR4 = "10.20.255.1";
    static final int APP_UID = 4242;
    static final int NOBODY = 65534;
    static final AppId SSH = AppId.of(1);
    static final AppId WEB = AppId.of(2);

    static Policy policy() {
        return policyBuilder().build();
    }

    static Policy.Builder policyBuilder() {
        return EnforcementLab.basePolicy()
                .grant(SSH, "10.20.0.0/16 tcp/22,8000-8099")
                .grant(SSH, "10.20.0.53 udp/53")
                .grant(SSH, "fd10:20::/32 tcp/22")
                .grant(SSH, "fd10:20::/32 udp/53")
                .grant(WEB, "10.20.5.0/24");
    }

    final NetnsLab lab;
    final Namespace client;
    final Namespace corp;
    final Namespace container;
    final EnforcementLab world;
    final String tunnel;
    final int tunnelIfindex;
    final Path sshApp;
    final Path webApp;
    private final Path scripts;
    private final InternalHost capture;
    private final List<Agent> agents = new ArrayList<>();

    private PivotLab(
            NetnsLab lab,
            Namespace client,
            Namespace corp,
            Namespace container,
            EnforcementLab world,
            String tunnel,
            int tunnelIfindex,
            Path scripts,
            InternalHost capture)
            throws IOException {
        this.lab = lab;
        this.client = client;
        this.corp = corp;
        this.container = container;
        this.world = world;
        this.tunnel = tunnel;
        this.tunnelIfindex = tunnelIfindex;
        this.scripts = scripts;
        this.capture = capture;
        this.sshApp = world.enforcer.addApp("ssh", SSH);
        this.webApp = world.enforcer.addApp("web", WEB);
    }

    static PivotLab create(NetnsLab lab) throws IOException {
        return create(lab, policy());
    }

    /**
     * A veth that behaves like a WireGuard device for the programs: no ARP or router solicitation (the
     * backstop drops what is not IP), one MAC on both ends so that frames need no neighbour.
     */
    static Veth tunnelLike(NetnsLab lab, Namespace client, Namespace peer) {
        Veth tun = lab.veth(client, peer);
        String mac = "02:77:67:70:72:01";
        for (var port : List.of(tun.a(), tun.b())) {
            port.namespace().ip("link", "set", "dev", port.name(), "down");
            port.namespace().ip("link", "set", "dev", port.name(), "address", mac, "arp", "off");
            port.namespace().sysctl("net.ipv6.conf." + port.name() + ".router_solicitations", "0");
            port.namespace().ip("link", "set", "dev", port.name(), "up");
        }
        return tun;
    }

    static PivotLab create(NetnsLab lab, Policy policy) throws IOException {
        Namespace client = lab.namespace("client");
        Namespace corp = lab.namespace("corp");
        Namespace internet = lab.namespace("internet");
        Namespace lan = lab.namespace("lan");
        Namespace container = lab.namespace("container");

        var tun = tunnelLike(lab, client, corp);
        String tunnel = tun.a().name();
        client.address(tunnel, TUN_ADDR4 + "/32", "fd10:20:ffff::1/128");
        client.routeDev(EnforcementLab.INTERNAL_V4, tunnel).routeDev(EnforcementLab.INTERNAL_V6, tunnel);
        corp.address(tun.b().name(), T4 + "/16", DNS4 + "/32", WEB_HOST + "/32", X4 + "/32", T6 + "/32", X6 + "/128");
        corp.routeDev("172.31.0.0/24", tun.b().name())
                .routeDev("fd31::/64", tun.b().name());

        var inet = lab.veth(client, internet);
        inet.a().address("192.0.2.2/24", "2001:db8:2::2/64");
        inet.b().address("192.0.2.50/24", "2001:db8:2::50/64");
        client.defaultRoute("192.0.2.50").defaultRoute("2001:db8:2::50");

        var lanLink = lab.veth(client, lan);
        lanLink.a().address("10.20.99.2/24", "fd10:20:99::2/64");
        lanLink.b().address("10.20.99.1/24", "fd10:20:99::1/64");

        var containerLink = lab.veth(client, container);
        containerLink.a().address("172.31.0.1/24", "fd31::1/64");
        containerLink.b().address("172.31.0.2/24", "fd31::2/64");
        container.defaultRoute("172.31.0.1").defaultRoute("fd31::1");
        client.enableForwarding();
        // Unprivileged ICMP echo sockets for everyone, in this namespace only (a per-netns sysctl).
        client.sysctl("net.ipv4.ping_group_range", "0 2147483647");

        Path scripts = lab.scratchDir().resolve("pivot");
        Files.setPosixFilePermissions(lab.scratchDir(), PosixFilePermissions.fromString("rwx--x--x"));
        Agent.installScripts(scripts);
        // The Internet side and the LAN answer too (control cases).
        LabProcess internetHost = internet.start(
                "python3",
                "-u",
                scripts.resolve("internal_host.py").toString(),
                inet.b().name(),
                "80,443",
                "53");
        LabProcess lanHost = lan.start(
                "python3",
                "-u",
                scripts.resolve("internal_host.py").toString(),
                lanLink.b().name(),
                "80",
                "53");
        InternalHost capture = InternalHost.start(
                corp, scripts.resolve("internal_host.py"), tun.b().name());
        awaitReady(internetHost);
        awaitReady(lanHost);

        int ifindex = Integer.parseInt(
                client.run("cat", "/sys/class/net/" + tunnel + "/ifindex").strip());
        EnforcementLab world = null;
        try {
            world = EnforcementLab.createIn(lab, client, policy);
            EnforcementLab attached = world;
            client.call(() -> {
                attached.enforcer.attachTunnel(ifindex);
                return null;
            });
            return new PivotLab(lab, client, corp, container, world, tunnel, ifindex, scripts, capture);
        } catch (IOException | RuntimeException e) {
            capture.close();
            if (world != null) {
                try {
                    world.close();
                } catch (IOException cleanup) {
                    e.addSuppressed(cleanup);
                }
            }
            throw e;
        }
    }

    private static void awaitReady(LabProcess process) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!process.output().contains("READY")) {
            if (System.nanoTime() > deadline || !process.isAlive()) {
                throw new IllegalStateException("not ready: " + process + ": " + process.output());
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    String agentConfig() {
        return "{\"t4\":\"" + T4 + "\",\"t6\":\"" + T6 + "\",\"x4\":\"" + X4 + "\",\"x6\":\"" + X6 + "\",\"dns4\":\""
                + DNS4 + "\",\"tun\":\"" + tunnel + "\",\"tunidx\":" + tunnelIfindex + ",\"tunaddr4\":\"" + TUN_ADDR4
                + "\",\"appcg\":\"" + sshApp + "\",\"web\":\"" + WEB_HOST + "\"}";
    }

    /** A Unix socket path in a directory every agent may write to. */
    String socketPath(String name) throws IOException {
        Path sockets = lab.scratchDir().resolve("sockets");
        if (!Files.isDirectory(sockets)) {
            Files.createDirectory(sockets);
            Files.setPosixFilePermissions(sockets, PosixFilePermissions.fromString("rwxrwxrwx"));
        }
        return sockets.resolve(name).toString();
    }

    /** A pivot agent in the client namespace as {@code uid}, in {@code cgroup} if given (else no app). */
    Agent agent(String label, int uid, Optional<Path> cgroup) throws IOException {
        return agent(label, client, uid, cgroup);
    }

    Agent agent(String label, Namespace ns, int uid, Optional<Path> cgroup) throws IOException {
        Agent agent = Agent.start(
                label,
                scripts.resolve("pivot.py"),
                ns.name(),
                uid,
                cgroup,
                agentConfig(),
                lab.scratchDir().resolve("agent-" + label + ".err"));
        agents.add(agent);
        return agent;
    }

    /** IP packets that have arrived at corp from the tunnel so far, and the last few of them. */
    InternalHost.Count arrived() throws IOException {
        return capture.count();
    }

    @Override
    public void close() throws IOException {
        for (Agent agent : agents) {
            agent.close();
        }
        capture.close();
        // The backstop filter is found by ifindex in the tunnel namespace: detach from there.
        IOException failure = null;
        try {
            world.detachTunnels();
        } catch (RuntimeException e) {
            failure = new IOException("detaching the backstop", e);
        }
        world.close();
        if (failure != null) {
            throw failure;
        }
    }
}
