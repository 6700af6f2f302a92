package dev.wgpr.client.daemon;

import dev.wgpr.client.control.Json;
import dev.wgpr.client.daemon.DaemonTesting.Result;
import dev.wgpr.client.daemon.TunnelLab.Side;
import dev.wgpr.common.linux.OwnedFd;
import dev.wgpr.enforcement.Agent;
import dev.wgpr.enforcement.Counter;
import dev.wgpr.enforcement.Enforcer;
import dev.wgpr.enforcement.InternalHost;
import dev.wgpr.enforcement.bpf.Bpf;
import dev.wgpr.enforcement.cgroup.ScratchCgroup;
import dev.wgpr.testing.lab.CommandResult;
import dev.wgpr.testing.lab.Namespace;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.Reach;
import dev.wgpr.testing.lab.Topologies.Routed;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The pivot lab built on the product itself: the daemon brings its tunnels up with its own {@code
 * wg-pr up}, the authorized app starts through {@code wg-pr run}, and deny events come from {@code
 * wg-pr events --json}. Nothing of the enforcement is assembled by the test.
 *
 * <pre>
 *  neighbour 172.31.0.2, fd31::2 (a container behind the laptop: NAT'ed by the client, as Docker does)
 *      |
 *  client ── eth0 ── router: LAN 10.20.99.1 / fd10:20:99::1 (route more specific than the tunnel's)
 *  wgc… per-prefix 10.20.0.0/16, fd10:20::/32 ─┐        └── internet 203.0.113.20 (public server)
 *  wgc… di-semi-default 0.0.0.0/0 (phase B) ───┴─ server 198.51.100.10: two wireguard-go devices;
 *                                                internal hosts 10.20.0.10, 10.20.0.53, 10.20.99.5,
 *                                                fd10:20::10, fd10:20:99::5 on its loopback
 * </pre>
 *
 * The server namespace runs TCP listeners and UDP echo servers on every address and counts every
 * packet arriving on either wireguard-go device: a vector is stopped only when nothing of it
 * arrived. 10.20.99.5 exists behind the tunnel too, so traffic forced into the tunnel toward the
 * excluded LAN address reaches a host when it leaks. {@code net.ipv4.ping_group_range} is open in the
 * client namespace (as on most systemd distributions).
 */
final class ProductPivotLab {
    static final String T4 = TunnelLab.INTERNAL_V4;
    static final String T6 = TunnelLab.INTERNAL_V6;
    static final String DNS4 = "10.20.0.53";
    static final String X4 = "10.20.99.5";
    static final String X6 = "fd10:20:99::5";
    static final String LAN4 = "10.20.99.1";
    static final String LAN6 = "fd10:20:99::1";
    static final String TUN4 = "10.8.0.2";
    static final String TUN6 = "fd10:8::2";
    static final String DI_TUN4 = "10.9.0.2";
    static final int APP_UID = 4242;
    /** The app's {@code listen} ports, TCP and UDP. */
    static final int APP_LISTEN_PORT = 9090;

    static final int NOBODY = DaemonTesting.NOBODY;
    /** The app's exact grants: SSH and a port range to corp, its resolver, SSH and DNS over IPv6. */
    static final String APP_GRANTS =
            "\"10.20.0.0/16 tcp/22,8000-8099\", \"10.20.0.53 udp/53\", \"fd10:20::/32 tcp/22\", \"fd10:20::/32 udp/53\"";

    final NetnsLab lab;
    final TunnelLab net;
    final Side diSemi;
    final Namespace neighbour;
    private final Path scripts;
    private final Path sockets;
    private final List<AutoCloseable> started = new ArrayList<>();
    private InternalHost corp;
    private Process events;
    private int eventLinesSeen;

    private ProductPivotLab(NetnsLab lab) throws IOException {
        this.lab = lab;
        this.net = TunnelLab.routed(lab);
        this.diSemi = net.anotherServer(51821, "10.9.0.1", DI_TUN4);
        this.neighbour = lab.namespace("neighbour");
        Files.setPosixFilePermissions(lab.scratchDir(), PosixFilePermissions.fromString("rwx--x--x"));
        this.scripts = Agent.installScripts(lab.scratchDir().resolve("pivot"));
        this.sockets = lab.scratchDir().resolve("sockets");
        Files.createDirectory(sockets);
        Files.setPosixFilePermissions(sockets, PosixFilePermissions.fromString("rwxrwxrwx"));
    }

    /** The lab, its daemon running, no tunnel up yet. */
    static ProductPivotLab create(NetnsLab netns) throws Exception {
        ProductPivotLab lab = new ProductPivotLab(netns);
        try {
            lab.build();
            return lab;
        } catch (Exception | Error e) {
            lab.close();
            throw e;
        }
    }

    private void build() throws Exception {
        Namespace client = net.client;
        net.serverNs.address("lo", DNS4 + "/32", X4 + "/32", X6 + "/128");
        // The client's LAN holds 10.20.99.0/24 and fd10:20:99::/64: more specific than the tunnel's prefixes.
        net.router.address("lo", LAN4 + "/32", LAN6 + "/128");
        client.route("10.20.99.0/24", Routed.GATEWAY_V4).route("fd10:20:99::/64", Routed.GATEWAY_V6);
        client.sysctl("net.ipv4.ping_group_range", "0 2147483647");
        natNeighbour();

        Path hostScript = scripts.resolve("internal_host.py");
        corp = InternalHost.start(
                net.serverNs,
                hostScript,
                net.server.iface() + "," + diSemi.server().iface());
        started.add(corp);
        started.add(InternalHost.start(net.internet, hostScript, "lo"));
        started.add(InternalHost.start(net.router, hostScript, "lo"));

        // The daemon as `up` would start it, but letting the app's user (its group) use `wg-pr run`.
        Result daemon = net.cli()
                .run(
                        "daemon",
                        "--launch-group",
                        Integer.toString(APP_UID),
                        "--config-dir",
                        DaemonTesting.scratch().toString());
        if (daemon.exitCode() != 0) {
            throw new AssertionError("wg-pr daemon failed: " + daemon);
        }
        events = net.cli().start("events", "--follow", "--json");
    }

    /** Phase A: the per-prefix tunnel up, the app listening on {@value #APP_LISTEN_PORT}. */
    void upPerPrefix() throws Exception {
        up(net.iface, perPrefixTunnel());
    }

    /** Phase A's tunnel with {@code incoming} set to {@code setting} instead of the default, by {@code wg-pr reload}. */
    void reloadPerPrefix(String setting) throws Exception {
        Result reload = net.cli()
                .run(
                        "reload",
                        TunnelLab.withIncoming(perPrefixTunnel(), setting).toString());
        if (reload.exitCode() != 0) {
            throw new AssertionError("wg-pr reload failed: " + reload);
        }
    }

    private Path perPrefixTunnel() throws IOException {
        return TunnelLab.withListen(
                net.config(
                        "per-prefix",
                        "\"10.8.0.1/32\", \"10.20.0.0/16\", \"fd10:8::1/128\", \"fd10:20::/32\"",
                        APP_GRANTS),
                "\"tcp/" + APP_LISTEN_PORT + "\", \"udp/" + APP_LISTEN_PORT + "\"");
    }

    /**
     * The neighbour: a veth into the client, IP forwarding on, and masquerading of its traffic out of
     * every other interface (Docker's {@code -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE}): its
     * packets leave with the client's addresses, the tunnel's included.
     */
    private void natNeighbour() throws IOException {
        var link = lab.veth(net.client, neighbour);
        link.a().address("172.31.0.1/24", "fd31::1/64");
        link.b().address("172.31.0.2/24", "fd31::2/64");
        neighbour.defaultRoute("172.31.0.1").defaultRoute("fd31::1");
        net.client.enableForwarding();
        Path rules = lab.scratchDir().resolve("nat.nft");
        Files.writeString(rules, """
                table inet wgpr_lab_nat {
                    chain postrouting {
                        type nat hook postrouting priority srcnat;
                        ip saddr 172.31.0.0/24 oifname != "%1$s" masquerade
                        ip6 saddr fd31::/64 oifname != "%1$s" masquerade
                    }
                }
                """.formatted(link.a().name()));
        net.client.run("nft", "-f", rules.toString());
    }

    /** Phase B: the di-semi-default tunnel (0.0.0.0/0) up beside the per-prefix one. */
    void upDiSemiDefault() throws Exception {
        up(diSemi.iface(), net.config(diSemi, "di-semi-default", "\"0.0.0.0/0\"", "\"203.0.113.20/32 tcp/443\""));
    }

    /** The excluded app of {@link #upDenyFullTunnelWithAnExcludedApp}. */
    static final String EXCLUDED_APP = "torrent";

    /**
     * Issue 18, {@code others = "bypass"}: a full tunnel (0.0.0.0/0, ::/0) on the per-prefix tunnel's
     * device whose processes that are no app go around it through the underlay; the app keeps its exact
     * grants. The underlay has no route to the internal hosts: only the tunnel reaches them.
     */
    void upBypassFullTunnel() throws Exception {
        Path config = net.config("auto", "\"0.0.0.0/0\", \"::/0\"", APP_GRANTS);
        String toml = Files.readString(config);
        Files.writeString(config, toml.replace("routeMode = \"auto\"", "routeMode = \"auto\"\nothers = \"bypass\""));
        if (!Files.readString(config).contains("others = \"bypass\"")) {
            throw new AssertionError("no bypass in " + toml);
        }
        up(net.iface, config);
    }

    /**
     * Issue 18, {@code [[interface.excludedApps]]}: a deny full tunnel on the same device with its own,
     * more specific internal prefixes (10.20.0.0/16, fd10:20::/32) beside 0.0.0.0/0 and ::/0, and
     * excluded app {@value #EXCLUDED_APP}: it goes around the default route's parts, never into the
     * internal prefixes.
     */
    void upDenyFullTunnelWithAnExcludedApp() throws Exception {
        Path config = net.config("auto", "\"0.0.0.0/0\", \"::/0\", \"10.20.0.0/16\", \"fd10:20::/32\"", APP_GRANTS);
        String toml = Files.readString(config);
        Files.writeString(
                config,
                toml.replace(
                        "[[peer]]",
                        "others = \"deny\"\n\n[[interface.excludedApps]]\nname = \"" + EXCLUDED_APP
                                + "\"\n\n[[peer]]"));
        if (!Files.readString(config).contains("[[interface.excludedApps]]")) {
            throw new AssertionError("no excluded app in " + toml);
        }
        up(net.iface, config);
    }

    /** {@code wg-pr down} of the tunnel on the per-prefix device. */
    void downPerPrefixDevice() throws Exception {
        net.down();
    }

    private void up(String iface, Path config) throws Exception {
        Result up = net.up(config);
        if (up.exitCode() != 0) {
            throw new AssertionError("wg-pr up failed: " + up);
        }
        net.requireBackend(iface);
    }

    /** The agents' configuration: targets through tunnel {@code iface}, and the control hosts. */
    String config(String iface, String internal4, String excluded4, String tunnelAddress4) throws IOException {
        String ifindex =
                net.client.run("cat", "/sys/class/net/" + iface + "/ifindex").strip();
        Path appCgroup = net.instance.cgroupSubtree(DaemonTesting.cgroup2()).resolve("probe");
        return Json.write(Map.ofEntries(
                Map.entry("t4", internal4),
                Map.entry("t6", T6),
                Map.entry("x4", excluded4),
                Map.entry("x6", X6),
                Map.entry("dns4", DNS4),
                Map.entry("tun", iface),
                Map.entry("tunidx", Integer.parseInt(ifindex)),
                Map.entry("tunaddr4", tunnelAddress4),
                Map.entry("tunaddr6", TUN6),
                Map.entry("appcg", appCgroup.toString()),
                Map.entry("web", T4),
                Map.entry("inet4", Routed.INTERNET_V4),
                Map.entry("inet6", Routed.INTERNET_V6),
                Map.entry("lan4", LAN4),
                Map.entry("lan6", LAN6),
                Map.entry("mark", Integer.toUnsignedLong(Enforcer.othersMarkOf(net.instance.name())))));
    }

    /**
     * The configuration before any tunnel is up: the targets of phase A, loopback in place of the
     * tunnel device (the vectors run with it need none).
     */
    String beforeUpConfig() throws IOException {
        return config("lo", T4, X4, TUN4);
    }

    /** The configuration of phase A: internal hosts behind the per-prefix tunnel, its LAN exclusion. */
    String perPrefixConfig() throws IOException {
        return config(net.iface, T4, X4, TUN4);
    }

    /**
     * The configuration of phase B, through the di-semi-default tunnel: the public server is internal
     * now, and the excluded address is the WireGuard server's own, kept on the underlay by its bypass
     * route.
     */
    String diSemiConfig() throws IOException {
        return config(diSemi.iface(), Routed.INTERNET_V4, Routed.SERVER_V4, DI_TUN4);
    }

    /** A pivot agent in the client namespace as {@code uid}, in no app. */
    Agent agent(String label, int uid, String config) throws IOException {
        return agent(label, net.client, uid, config);
    }

    Agent agent(String label, Namespace ns, int uid, String config) throws IOException {
        return track(Agent.start(
                label,
                scripts.resolve("pivot.py"),
                ns.name(),
                uid,
                Optional.empty(),
                config,
                lab.scratchDir().resolve("agent-" + label + ".err")));
    }

    /**
     * A pivot agent in the client namespace as {@code uid}, in a cgroup of its own that is no app's, as a
     * system service runs: the daemon names the program holding a socket by searching the socket's cgroup,
     * within a budget the whole root cgroup of a busy machine exceeds.
     */
    Agent service(String label, int uid, String config) throws IOException {
        ScratchCgroup cgroup = ScratchCgroup.create(DaemonTesting.cgroup2(), "wgpr-" + label);
        started.add(cgroup);
        return track(Agent.start(
                label,
                scripts.resolve("pivot.py"),
                net.client.name(),
                uid,
                Optional.of(cgroup.path()),
                config,
                lab.scratchDir().resolve("agent-" + label + ".err")));
    }

    /** The authorized app: pivot.py started by {@code wg-pr run --app probe} as {@code APP_UID}. */
    Agent app(String config) throws IOException {
        return app("app", "probe", config);
    }

    /** pivot.py started by {@code wg-pr run --app name} as {@code APP_UID}, labelled {@code label}. */
    Agent app(String label, String name, String config) throws IOException {
        Path log = lab.scratchDir().resolve("agent-" + label + ".err");
        ProcessBuilder launch = net.cli()
                .as(APP_UID, APP_UID)
                .builder(
                        "run",
                        "--app",
                        name,
                        "--",
                        "/usr/bin/python3",
                        "-u",
                        scripts.resolve("pivot.py").toString(),
                        config)
                .redirectError(log.toFile());
        try {
            return track(Agent.start(label, launch, APP_UID));
        } catch (IOException e) {
            throw new IOException(e.getMessage() + ": " + Files.readString(log), e);
        }
    }

    /** A Unix socket path any agent may create and connect to. */
    String socketPath(String name) {
        return sockets.resolve(name).toString();
    }

    private Agent track(Agent agent) {
        started.add(agent);
        return agent;
    }

    /**
     * Packets that have arrived through either tunnel at the internal network, once no more have
     * arrived for 150 ms (at most 3 s): what an earlier attempt still had in flight is counted before
     * the next one starts.
     */
    long settledArrivals() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + 3_000_000_000L;
        long count = corp.count().packets();
        while (System.nanoTime() < deadline) {
            Thread.sleep(150);
            long now = corp.count().packets();
            if (now == count) {
                break;
            }
            count = now;
        }
        return count;
    }

    /**
     * Packets the client's kernel has handed to its tunnel devices so far (their {@code tx_packets}):
     * what entered a tunnel, whether or not the peer then let it through.
     */
    long intoTunnels() {
        long packets = 0;
        for (String iface : List.of(net.iface, diSemi.iface())) {
            CommandResult read = net.client.exec("cat", "/sys/class/net/" + iface + "/statistics/tx_packets");
            if (read.succeeded()) {
                packets += Long.parseLong(read.stdout().strip());
            }
        }
        return packets;
    }

    /** Packets that have arrived so far, and the first few after the first {@code earlier}. */
    InternalHost.Count arrivedSince(long earlier) throws IOException {
        return corp.countSince(earlier);
    }

    /**
     * Every denial the kernel programs have counted so far (the pinned per-CPU counters, all {@code
     * DENY_*}): evidence of a deny whose event the daemon summarised (it logs the first five of one
     * kind of attempt a minute, then counts).
     */
    long denials() throws IOException {
        Path pinned = net.instance.bpfPinDirectory().resolve("counters");
        int cpus = Bpf.possibleCpus();
        long total = 0;
        try (OwnedFd counters = Bpf.pinned(pinned)) {
            for (Counter counter : Counter.values()) {
                if (!counter.name().startsWith("DENY_")) {
                    continue;
                }
                byte[] key = ByteBuffer.allocate(4)
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .putInt(counter.ordinal())
                        .array();
                ByteBuffer perCpu = ByteBuffer.wrap(Bpf.lookup(counters.fd(), key, 8 * cpus))
                        .order(ByteOrder.LITTLE_ENDIAN);
                for (int cpu = 0; cpu < cpus; cpu++) {
                    total += perCpu.getLong(8 * cpu);
                }
            }
        }
        return total;
    }

    /** The deny events {@code wg-pr events --follow --json} printed since the last call. */
    List<Map<String, Object>> newEvents() throws IOException {
        String output = DaemonTesting.outputSoFar(events);
        List<String> lines = output.lines().toList();
        List<Map<String, Object>> fresh = new ArrayList<>();
        // The last line may still be incomplete: only lines ended by a newline count.
        int complete = output.endsWith("\n") ? lines.size() : lines.size() - 1;
        for (int i = eventLinesSeen; i < complete; i++) {
            String line = lines.get(i).strip();
            if (line.startsWith("{")) {
                fresh.add(Json.parseObject(line));
            }
        }
        eventLinesSeen = Math.max(eventLinesSeen, complete);
        return fresh;
    }

    /** What an internal host behind the tunnel got when it tried to reach a client listener. */
    record Inbound(String outcome, String detail) {}

    /**
     * Internal host {@code source} (behind the peer) connects to {@code address}:{@code port} in the client
     * through the tunnel; "connected" when the listener answered.
     */
    Inbound connectIn(String source, String address, int port) {
        Reach reach = Reach.tcp(net.serverNs, new InetSocketAddress(source, 0), address, port, Duration.ofSeconds(2));
        return new Inbound(reach.answered() ? "connected" : "failed", reach.detail());
    }

    /** As {@link #connectIn}, one UDP datagram; "replied" when the listener sent it back. */
    Inbound sendIn(String source, String address, int port) {
        Reach reach = Reach.udp(net.serverNs, new InetSocketAddress(source, 0), address, port, Duration.ofSeconds(1));
        return new Inbound(
                reach.answered() ? "replied" : "sent", reach.answered() ? "" : "no reply, " + reach.detail());
    }

    /** The server pings {@code address} through the tunnel. */
    Inbound pingIn(String address) {
        return net.serverNs.ping(address) ? new Inbound("replied", "") : new Inbound("failed", "no reply");
    }

    /** Stops the agents, hosts and the daemon, and removes what the instance left; the lab removes the rest. */
    void close() throws Exception {
        Exception failure = null;
        for (AutoCloseable closeable : started.reversed()) {
            try {
                closeable.close();
            } catch (Exception e) {
                failure = e;
            }
        }
        if (events != null) {
            events.destroy();
            events.waitFor();
        }
        net.close();
        if (failure != null) {
            throw failure;
        }
    }
}
