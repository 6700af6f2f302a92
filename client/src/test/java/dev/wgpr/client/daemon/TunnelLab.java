package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.wgpr.client.daemon.DaemonTesting.Cli;
import dev.wgpr.client.daemon.DaemonTesting.Result;
import dev.wgpr.testing.lab.LabProcess;
import dev.wgpr.testing.lab.Namespace;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.Topologies;
import dev.wgpr.testing.lab.WireGuardGoPeer;
import dev.wgpr.tunnel.crypto.Key;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * One end-to-end setup: a lab topology, wireguard-go as the server (tunnel 10.8.0.1 / fd10:8::1, the
 * internal services 10.20.0.10 and fd10:20::10 on its loopback, TCP port 8080, each answering
 * "hello"), the Internet host answering on 203.0.113.20:8080, and the client namespace where {@code
 * wg-pr} runs as instance {@link #instance} with a unique tunnel interface {@link #iface}.
 */
final class TunnelLab {
    /** The server's tunnel address and the internal prefixes, v4 and v6, as TOML list items. */
    static final String ALLOWED_IPS = "\"10.8.0.1/32\", \"10.20.0.0/16\", \"fd10:8::1/128\", \"fd10:20::/32\"";

    static final String INTERNAL_V4 = "10.20.0.10";
    static final String INTERNAL_V6 = "fd10:20::10";
    static final String INTERNET_V4 = "203.0.113.20";
    static final int PORT = 8080;

    /**
     * The {@code backend} every config of the lab asks for (system property {@code wgpr.lab.backend}:
     * {@code kernel}, {@code userspace} or {@code auto}), or empty: none, the product's default.
     */
    static final Optional<String> BACKEND = Optional.ofNullable(System.getProperty("wgpr.lab.backend"));

    final NetnsLab lab;
    final Namespace client;
    final Namespace router;
    final Namespace serverNs;
    final Namespace internet;
    final String serverUnderlay;
    final WireGuardGoPeer server;
    final Key clientKey = Key.generatePrivate();
    final Instance instance = DaemonTesting.uniqueInstance();
    final String iface;
    private final List<ServerSocket> listeners = new ArrayList<>();
    /** The remote address of every connection each listener accepted, by local address. */
    private final Map<String, List<String>> callers = new ConcurrentHashMap<>();

    private TunnelLab(
            NetnsLab lab, Namespace client, Namespace router, Namespace server, Namespace internet, String underlay) {
        this.lab = lab;
        this.client = client;
        this.router = router;
        this.serverNs = server;
        this.internet = internet;
        this.serverUnderlay = underlay;
        this.iface = lab.interfaceName("wgc");
        this.server = WireGuardGoPeer.start(server)
                .listenPort(51820)
                .address("10.8.0.1/24", "fd10:8::1/64")
                .up();
        server.address("lo", INTERNAL_V4 + "/32", INTERNAL_V6 + "/128");
        this.server.peer(clientKey.publicKey().toBase64(), null, "10.8.0.2/32", "fd10:8::2/128");
        listen(server, INTERNAL_V4);
        listen(server, INTERNAL_V6);
        listen(internet, INTERNET_V4);
    }

    /** The server behind a router (Topologies.routed). */
    static TunnelLab routed(NetnsLab lab) {
        Topologies.Routed net = Topologies.routed(lab);
        return new TunnelLab(
                lab, net.client(), net.router(), net.server(), net.internet(), Topologies.Routed.SERVER_V4);
    }

    /** The server on the client's own LAN (Topologies.onLan). */
    static TunnelLab onLan(NetnsLab lab) {
        Topologies.OnLan net = Topologies.onLan(lab);
        return new TunnelLab(lab, net.client(), net.router(), net.server(), net.internet(), Topologies.OnLan.SERVER_V4);
    }

    /** A TCP service on {@code address}:{@link #PORT} in {@code ns} that answers "hello" to anyone. */
    void listen(Namespace ns, String address) {
        ServerSocket socket = ns.call(() -> {
            ServerSocket s = new ServerSocket();
            s.bind(new InetSocketAddress(address, PORT));
            return s;
        });
        listeners.add(socket);
        List<String> from = callers.computeIfAbsent(address, a -> new CopyOnWriteArrayList<>());
        Thread.ofPlatform().daemon().name("hello-" + address).start(() -> {
            while (!socket.isClosed()) {
                try (Socket connection = socket.accept();
                        OutputStream out = connection.getOutputStream()) {
                    from.add(((InetSocketAddress) connection.getRemoteSocketAddress())
                            .getAddress()
                            .getHostAddress());
                    out.write("hello\n".getBytes(StandardCharsets.US_ASCII));
                } catch (IOException e) {
                    // closed, or the client went away
                }
            }
        });
    }

    /** Where the connections to the listener on {@code address} came from, oldest first. */
    List<String> callersOf(String address) {
        return List.copyOf(callers.getOrDefault(address, List.of()));
    }

    /**
     * The client's config: peer "gw" (the server) with {@code allowedIPs}; app "probe" with {@code
     * allow} grants (all of allowedIPs when null).
     */
    Path config(String routeMode, String allowedIPs, String allow) throws IOException {
        return config(
                new Side(iface, clientKey, "\"10.8.0.2/32\", \"fd10:8::2/128\"", server, 51820),
                routeMode,
                allowedIPs,
                allow);
    }

    /**
     * One tunnel's client side: its interface name and key, its addresses (TOML list items), and the
     * server it talks to on {@code port}.
     */
    record Side(String iface, Key key, String addresses, WireGuardGoPeer server, int port) {}

    /**
     * Another wireguard-go server in the server namespace, on {@code port}, with tunnel address {@code
     * serverAddress}/24, whose one peer is a new client key at {@code clientAddress}/32; the client side
     * gets a fresh interface name.
     */
    Side anotherServer(int port, String serverAddress, String clientAddress) {
        WireGuardGoPeer another = WireGuardGoPeer.start(serverNs)
                .listenPort(port)
                .address(serverAddress + "/24")
                .up();
        Key key = Key.generatePrivate();
        another.peer(key.publicKey().toBase64(), null, clientAddress + "/32");
        return new Side(lab.interfaceName("wgc"), key, "\"" + clientAddress + "/32\"", another, port);
    }

    /** The config of tunnel {@code side}, as {@link #config(String, String, String)} describes. */
    Path config(Side side, String routeMode, String allowedIPs, String allow) throws IOException {
        String toml = """
                [interface]
                name = "%s"
                privateKey = "%s"
                address = [%s]
                routeMode = "%s"
                %s
                %s

                [[peer]]
                name = "gw"
                publicKey = "%s"
                endpoint = "%s:%d"
                allowedIPs = [%s]
                persistentKeepalive = 25

                [[peer.allowedApps]]
                name = "probe"
                %s
                """.formatted(
                        side.iface(),
                        side.key().toBase64(),
                        side.addresses(),
                        routeMode,
                        // what the lab's full tunnels mean, written out so that up needs no --force
                        routeMode.equals("di-semi-default") ? "others = \"deny\"" : "",
                        BACKEND.map(backend -> "backend = \"" + backend + "\"").orElse(""),
                        side.server().publicKey(),
                        serverUnderlay,
                        side.port(),
                        allowedIPs,
                        allow == null ? "" : "allow = [" + allow + "]");
        Path file = DaemonTesting.scratch().resolve(side.iface() + "-" + routeMode + ".toml");
        Files.writeString(file, toml);
        return file;
    }

    /** {@code config} (a per-prefix one of the lab) with DNS server {@code server} for {@code domain}. */
    static Path withDns(Path config, String server, String domain) throws IOException {
        Files.writeString(
                config,
                Files.readString(config)
                        .replace(
                                "routeMode = \"per-prefix\"",
                                "routeMode = \"per-prefix\"\ndns = [\"" + server + "\"]\ndnsDomains = [\"" + domain
                                        + "\"]"));
        return config;
    }

    /** {@code config} (one of the lab's) with app "probe" listening on {@code listen} (TOML list items, e.g. {@code "tcp/9090"}). */
    static Path withListen(Path config, String listen) throws IOException {
        Files.writeString(
                config,
                Files.readString(config).replace("name = \"probe\"", "name = \"probe\"\nlisten = [" + listen + "]"));
        return config;
    }

    /** {@code config} (one of the lab's) with its tunnel's {@code incoming} set to {@code setting}. */
    static Path withIncoming(Path config, String setting) throws IOException {
        Files.writeString(
                config, Files.readString(config).replace("[[peer]]", "incoming = \"" + setting + "\"\n\n[[peer]]"));
        return config;
    }

    /** The wg-pr CLI as root in the client namespace (a daemon it starts runs there). */
    Cli cli() {
        return Cli.root(instance).inNetns(client.name());
    }

    Result up(Path config) throws Exception {
        return cli().run("up", config.toString());
    }

    /**
     * Fails unless tunnel {@code iface} runs on the backend the lab asked for ({@link #BACKEND}): the
     * kernel's WireGuard is a link of kind wireguard, wg-pr's own a TUN interface. A run meant for one
     * backend must not pass on the other.
     */
    void requireBackend(String iface) {
        String wanted = BACKEND.orElse("auto");
        if (wanted.equals("auto")) {
            return;
        }
        String link = client.run("ip", "-d", "link", "show", iface);
        String kind = link.contains(" wireguard ") ? "kernel" : link.contains(" tun ") ? "userspace" : "unknown";
        if (!kind.equals(wanted)) {
            throw new AssertionError(iface + " runs on the " + kind + " backend, not " + wanted + ":\n" + link);
        }
    }

    /** Who tries to connect. */
    enum Who {
        /** Root, in no app's cgroup. */
        ROOT,
        /** uid 65534, in no app's cgroup. */
        NOBODY,
        /** App "probe", started with {@code wg-pr run} by root. */
        APP
    }

    /** What one connection attempt printed: "hello" on success, else the error. */
    record Attempt(int exit, String out, String err) {
        boolean connected() {
            return exit == 0 && out.contains("hello");
        }

        boolean denied() {
            return exit != 0 && err.contains("Operation not permitted");
        }
    }

    /** A TCP connection from the client namespace to {@code address}:{@link #PORT}, made by {@code who}. */
    Attempt connect(Who who, String address) throws Exception {
        List<String> command = new ArrayList<>(readHello(address));
        switch (who) {
            case ROOT -> {
                return inClient(command);
            }
            case NOBODY -> {
                command.addAll(0, List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"));
                return inClient(command);
            }
            case APP -> {
                return inApp(List.of(), command);
            }
        }
        throw new AssertionError(who);
    }

    /** A TCP connection like {@link #connect}, made by app "probe" as tunnel {@code tunnel} names it. */
    Attempt connectAsAppOf(String tunnel, String address) throws Exception {
        return inApp(List.of("--tunnel", tunnel), readHello(address));
    }

    /**
     * A command that connects to {@code address}:{@link #PORT} and prints what the service says. The app
     * is bash, and bash (the same program) connects: the probe's grants are bound to what it runs.
     */
    private static List<String> readHello(String address) {
        String script = "exec 3<>/dev/tcp/" + address + "/" + PORT + " && head -c 5 <&3";
        return List.of("/bin/bash", "-c", "exec timeout 10 /bin/bash -c '" + script + "'");
    }

    private Attempt inApp(List<String> options, List<String> command) throws Exception {
        List<String> run = new ArrayList<>(List.of("run", "--app", "probe"));
        run.addAll(options);
        run.add("--");
        run.addAll(command);
        Result r = cli().run(run.toArray(String[]::new));
        return new Attempt(r.exitCode(), r.out(), r.err());
    }

    /**
     * Runs {@code command} in the client namespace through {@code nsenter --net}, which (unlike {@code
     * ip netns exec}) keeps the host's mounts: the cgroup2 tree stays visible.
     */
    Attempt inClient(List<String> command) throws Exception {
        List<String> full = new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + client.name(), "--"));
        full.addAll(command);
        Path out = Files.createTempFile(lab.scratchDir(), "out-", ".txt");
        Path err = Files.createTempFile(lab.scratchDir(), "err-", ".txt");
        Process process = new ProcessBuilder(full)
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .start();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(full + " did not finish in 30 s");
        }
        return new Attempt(process.exitValue(), Files.readString(out), Files.readString(err));
    }

    /**
     * A capture on the client's LAN interface (what leaves the laptop toward its network) of what
     * matches {@code filter}, written to {@code file}; returns once tcpdump is listening.
     */
    LabProcess captureLan(Path file, String filter) throws InterruptedException {
        String lanPort = client.ip("-o", "link", "show", "type", "veth")
                .split(":")[1]
                .strip()
                .split("@")[0];
        LabProcess tcpdump = client.start("tcpdump", "-i", lanPort, "-n", "-U", "-w", file.toString(), filter);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!tcpdump.output().contains("listening on")) {
            if (System.nanoTime() > deadline || !tcpdump.isAlive()) {
                tcpdump.stop();
                throw new AssertionError("tcpdump did not start: " + tcpdump.output());
            }
            Thread.sleep(20);
        }
        return tcpdump;
    }

    /** What a capture of {@link #captureLan} saw, one line a packet. */
    String captured(Path file) {
        return client.run("tcpdump", "-n", "-r", file.toString()).strip();
    }

    /** What the client namespace's routing and links look like, to compare before and after. */
    String snapshot() {
        return String.join(
                "\n---\n",
                client.ip("route"),
                client.ip("-6", "route"),
                client.ip("rule"),
                client.ip("-6", "rule"),
                client.ip("link"));
    }

    /** The pin directory and cgroup subtree of the instance, if any is left. */
    List<Path> leftovers() throws IOException {
        List<Path> left = new ArrayList<>();
        for (Path path : List.of(instance.bpfPinDirectory(), instance.cgroupSubtree(DaemonTesting.cgroup2()))) {
            if (Files.exists(path)) {
                left.add(path);
            }
        }
        return left;
    }

    /**
     * Starts the daemon (locked down, apps through its launch helper) with uid nobody's group as the
     * launch group and {@code config}'s directory readable, then brings {@code config} up; both must
     * succeed.
     */
    void upWithNobodyInTheLaunchGroup(Path config) throws Exception {
        Result daemon = cli().run(
                        "daemon",
                        "--launch-group",
                        Integer.toString(DaemonTesting.NOBODY),
                        "--config-dir",
                        config.getParent().toString());
        assertEquals(0, daemon.exitCode(), daemon::toString);
        Result up = up(config);
        assertEquals(0, up.exitCode(), up::toString);
    }

    /** The CLI as uid nobody in the client namespace. */
    Cli nobody() {
        return Cli.nobody(instance).inNetns(client.name());
    }

    /** {@code java MAIN ARGS} with the test class path. */
    static List<String> javaCommand(Class<?> main, String... args) throws IOException {
        return DaemonTesting.javaCommand(main, List.of(args));
    }

    /** {@code command} as uid nobody in the client namespace, required to end within {@code limit}. */
    Result asNobody(List<String> command, Duration limit) throws Exception {
        List<String> full = new ArrayList<>(List.of(
                "nsenter",
                "--net=/run/netns/" + client.name(),
                "--",
                "setpriv",
                "--reuid=" + DaemonTesting.NOBODY,
                "--regid=" + DaemonTesting.NOBODY,
                "--clear-groups",
                "--"));
        full.addAll(command);
        Path out = Files.createTempFile(DaemonTesting.scratch(), "out-", ".txt");
        Path err = Files.createTempFile(DaemonTesting.scratch(), "err-", ".txt");
        ProcessBuilder builder = new ProcessBuilder(full)
                .directory(DaemonTesting.scratch().toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(out.toFile())
                .redirectError(err.toFile());
        builder.environment().put("SHELL", "/bin/sh");
        Process process = builder.start();
        try {
            if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError(full + " did not finish within " + limit);
            }
            return new Result(
                    process.exitValue(),
                    Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            process.destroyForcibly();
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** The deny events so far, as JSON lines, once each of {@code expected} appears in them. */
    String awaitEvents(String... expected) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (true) {
            Result events = cli().run("events", "--json");
            assertEquals(0, events.exitCode(), events::toString);
            if (List.of(expected).stream().allMatch(events.out()::contains)) {
                return events.out();
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no events with " + List.of(expected) + " in:\n" + events.out());
            }
            Thread.sleep(100);
        }
    }

    /** {@code wg-pr down}, required to succeed. */
    void down() throws Exception {
        Result down = cli().run("down", iface);
        assertEquals(0, down.exitCode(), down::toString);
    }

    /** Stops the daemon, the listeners, and removes what the instance left; the lab removes the rest. */
    void close() throws Exception {
        for (ServerSocket socket : listeners) {
            socket.close();
        }
        DaemonTesting.cleanUp(instance);
    }
}
