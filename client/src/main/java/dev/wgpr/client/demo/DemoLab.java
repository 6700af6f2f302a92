package dev.wgpr.client.demo;

import dev.wgpr.client.daemon.DaemonLeaf;
import dev.wgpr.client.daemon.Instance;
import dev.wgpr.client.demo.Shell.DemoException;
import dev.wgpr.client.dns.LabCommands;
import dev.wgpr.common.Pace;
import dev.wgpr.enforcement.Enforcer;
import dev.wgpr.enforcement.cgroup.Cgroup2Mount;
import dev.wgpr.tunnel.crypto.Key;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * The demo's lab: four network namespaces that exist only while the demo runs.
 *
 * <pre>
 *  client (the laptop)        router                     server (the VPN gateway, wireguard-go)
 *  eth0 10.98.0.2/24 ──────── eth0 10.98.0.1/24
 *                             eth1 198.51.100.1/24 ───── eth0 198.51.100.10/24, UDP 51820
 *                             eth2 203.0.113.1/24 ─┐     wgs tunnel 10.99.0.1/24
 *                                                  │     lo 10.99.10.10: the intranet web server
 *                        inet (a public web site)  │
 *                        eth0 203.0.113.80/24 ─────┘
 * </pre>
 *
 * Every name derives from one random id: namespaces {@code wgpr-demo-ID-ROLE}, the wg-pr instance
 * {@code wgpr-demo-ID} (its control socket, BPF pins and cgroups), interfaces {@code wgpr-ID} and
 * {@code wgs-ID} (their UAPI sockets in /var/run/wireguard are machine-wide, so they must be unique),
 * and the state directory {@code /run/wgpr-demo/ID} with the configs, keys and the pids of the
 * processes the lab started. {@link #remove} needs nothing but that id, so a kept lab can be removed
 * later by another run ({@code wg-pr demo --clean}).
 */
final class DemoLab {
    static final Path STATE_ROOT = Path.of("/run/wgpr-demo");
    static final String PREFIX = "wgpr-demo-";
    static final String CLIENT_UNDERLAY = "10.98.0.2";
    static final String SERVER_UNDERLAY = "198.51.100.10";
    static final int SERVER_PORT = 51820;
    static final String SERVER_TUNNEL = "10.99.0.1";
    static final String CLIENT_TUNNEL = "10.99.0.2";
    static final String INTRANET = "10.99.10.10";
    static final String INTERNET = "203.0.113.80";
    /** The company's DNS server, behind the gateway, which alone knows the names under corp.example. */
    static final String INTRANET_DNS = "10.99.10.53";

    static final String INTRANET_NAME = "intranet.corp.example";
    /** A public name, which the Internet side's DNS server (the laptop's usual one) answers. */
    static final String INTERNET_NAME = "www.example.net";

    static final String[] ROLES = {"client", "router", "server", "inet"};

    final String id;
    final Path state;
    final Instance instance;
    final String clientIface;
    final String serverIface;
    private final Shell shell;
    private final String javaClassPath;
    private final List<Process> started = new ArrayList<>();

    private DemoLab(String id, String javaClassPath) {
        this.id = id;
        this.state = STATE_ROOT.resolve(id);
        this.instance = new Instance(PREFIX + id);
        this.clientIface = "wgpr-" + id;
        this.serverIface = "wgs-" + id;
        this.shell = new Shell(state.resolve("tmp"));
        this.javaClassPath = javaClassPath;
    }

    /** A new lab with a fresh id; nothing exists on the system until {@link #build}. */
    static DemoLab fresh(String javaClassPath) {
        return new DemoLab(HexFormat.of().formatHex(new SecureRandom().generateSeed(4)), javaClassPath);
    }

    /** A lab left by an earlier run (for clean-up). */
    static DemoLab existing(String id, String javaClassPath) {
        return new DemoLab(id, javaClassPath);
    }

    /** The ids of labs left on this machine: by state directory or by namespace name. */
    static List<String> leftIds() throws IOException {
        List<String> ids = new ArrayList<>();
        if (Files.isDirectory(STATE_ROOT)) {
            try (Stream<Path> dirs = Files.list(STATE_ROOT)) {
                dirs.map(dir -> dir.getFileName().toString()).forEach(ids::add);
            }
        }
        Path netns = Path.of("/run/netns");
        if (Files.isDirectory(netns)) {
            try (Stream<Path> names = Files.list(netns)) {
                names.map(name -> name.getFileName().toString())
                        .filter(name -> name.startsWith(PREFIX))
                        .map(name -> name.substring(PREFIX.length()).split("-")[0])
                        .filter(labId -> !ids.contains(labId))
                        .forEach(ids::add);
            }
        }
        return ids;
    }

    String namespace(String role) {
        return PREFIX + id + "-" + role;
    }

    Shell shell() {
        return shell;
    }

    /** Namespaces, cables, addresses and routes; wireguard-go and the two web servers. */
    void build(Key clientPublic) throws IOException, InterruptedException {
        Files.createDirectories(state);
        Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwx------"));
        for (String role : ROLES) {
            shell.must("ip", "netns", "add", namespace(role));
            shell.must("ip", "-n", namespace(role), "link", "set", "lo", "up");
        }
        cable("client", "eth0", "10.98.0.2/24", "router", "eth0", "10.98.0.1/24");
        cable("router", "eth1", "198.51.100.1/24", "server", "eth0", SERVER_UNDERLAY + "/24");
        cable("router", "eth2", "203.0.113.1/24", "inet", "eth0", INTERNET + "/24");
        shell.must("ip", "netns", "exec", namespace("router"), "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
        shell.must("ip", "-n", namespace("client"), "route", "add", "default", "via", "10.98.0.1");
        shell.must("ip", "-n", namespace("server"), "route", "add", "default", "via", "198.51.100.1");
        shell.must("ip", "-n", namespace("inet"), "route", "add", "default", "via", "203.0.113.1");
        shell.must("ip", "-n", namespace("server"), "address", "add", INTRANET + "/32", "dev", "lo");
        shell.must("ip", "-n", namespace("server"), "address", "add", INTRANET_DNS + "/32", "dev", "lo");
        // The client's own resolv.conf, in the mount namespace of every client command: the Internet side's server.
        Files.writeString(resolvConf(), "nameserver " + INTERNET + "\n");

        startServer(clientPublic);
        startWeb("server", INTRANET, "intranet: hello from the internal web server " + INTRANET);
        startWeb("inet", INTERNET, "Internet: hello from the public web site " + INTERNET);
        startDns("server", INTRANET_DNS, "--address=/" + INTRANET_NAME + "/" + INTRANET, "--local=/corp.example/");
        startDns("inet", INTERNET, "--address=/" + INTERNET_NAME + "/" + INTERNET);
    }

    /** What the client namespace has as /etc/resolv.conf. */
    Path resolvConf() {
        return state.resolve("resolv.conf");
    }

    /** dnsmasq on {@code address}:53 in namespace {@code role}, answering what {@code answers} say and nothing else. */
    private void startDns(String role, String address, String... answers) throws IOException, InterruptedException {
        String name = "dns-" + role;
        List<String> options = new ArrayList<>(List.of(answers));
        // The lab's id in its command line: what a later --clean checks before it ends a recorded pid,
        // and what the leftovers check looks for.
        options.add("--pid-file=" + state.resolve(PREFIX + id + "-" + name + ".pid"));
        Process process = start(name, Shell.inNetns(namespace(role), LabCommands.dnsmasq(address, options)));
        awaitLog(process, name, "started", "dnsmasq on " + address, Duration.ofSeconds(10));
    }

    /** Waits until the log of lab process {@code name} says {@code marker}; {@code base}: the limit on an ordinary machine. */
    private void awaitLog(Process process, String name, String marker, String what, Duration base)
            throws IOException, InterruptedException {
        Path log = state.resolve(name + ".log");
        Duration limit = Pace.scaled(base);
        long deadline = System.nanoTime() + limit.toNanos();
        while (!Files.readString(log).contains(marker)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                throw new DemoException(
                        what + " did not start within " + limit.toSeconds() + " s: " + Files.readString(log));
            }
            Thread.sleep(20);
        }
    }

    private void cable(String a, String aName, String aAddress, String b, String bName, String bAddress)
            throws IOException, InterruptedException {
        // Created inside namespace a with its peer in b: no name is ever taken in the host namespace.
        shell.must(
                "ip",
                "-n",
                namespace(a),
                "link",
                "add",
                aName,
                "type",
                "veth",
                "peer",
                "name",
                bName,
                "netns",
                namespace(b));
        shell.must("ip", "-n", namespace(a), "address", "add", aAddress, "dev", aName);
        shell.must("ip", "-n", namespace(b), "address", "add", bAddress, "dev", bName);
        shell.must("ip", "-n", namespace(a), "link", "set", aName, "up");
        shell.must("ip", "-n", namespace(b), "link", "set", bName, "up");
    }

    /** wireguard-go in the server namespace: the reference implementation as the company's gateway. */
    private void startServer(Key clientPublic) throws IOException, InterruptedException {
        Path socket = uapiSocket(serverIface);
        if (Files.exists(socket)) {
            throw new DemoException(socket + " exists already: another device uses the name " + serverIface);
        }
        start("wireguard-go", Shell.inNetns(namespace("server"), List.of("wireguard-go", "-f", serverIface)));
        awaitFile(socket, "wireguard-go's UAPI socket");
        Key serverKey = Key.generatePrivate();
        Path keyFile = state.resolve("server.key");
        writePrivate(keyFile, serverKey.toBase64() + "\n");
        Files.writeString(state.resolve("server.pub"), serverKey.publicKey().toBase64() + "\n");
        List<String> wg = Shell.inNetns(
                namespace("server"),
                List.of(
                        "wg",
                        "set",
                        serverIface,
                        "private-key",
                        keyFile.toString(),
                        "listen-port",
                        Integer.toString(SERVER_PORT),
                        "peer",
                        clientPublic.toBase64(),
                        "allowed-ips",
                        CLIENT_TUNNEL + "/32"));
        shell.must(wg.toArray(String[]::new));
        shell.must("ip", "-n", namespace("server"), "address", "add", SERVER_TUNNEL + "/24", "dev", serverIface);
        shell.must("ip", "-n", namespace("server"), "link", "set", serverIface, "up");
    }

    String serverPublicKey() throws IOException {
        return Files.readString(state.resolve("server.pub")).strip();
    }

    private void startWeb(String role, String address, String text) throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process process = start(
                "web-" + role,
                Shell.inNetns(
                        namespace(role),
                        List.of(
                                java.toString(),
                                "-XX:+UseSerialGC",
                                "-XX:TieredStopAtLevel=1",
                                "-Xmx32m",
                                "-cp",
                                javaClassPath,
                                DemoWebServer.class.getName(),
                                instance.name(),
                                address,
                                "80",
                                text)));
        // A JVM of its own: as slow to start as this one was (Pace), twentyfold under an emulated CPU.
        awaitLog(process, "web-" + role, "listening", "the web server on " + address, Duration.ofSeconds(20));
    }

    /** Starts a lab process with its output in {@code NAME.log}, and records its pid for clean-up. */
    private Process start(String name, List<String> command) throws IOException {
        if (shell.isClosed()) {
            throw new DemoException("interrupted");
        }
        Path log = state.resolve(name + ".log");
        Process process = new ProcessBuilder(command)
                .directory(state.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .start();
        started.add(process);
        Files.writeString(
                state.resolve("pids"), process.pid() + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        return process;
    }

    private static void awaitFile(Path file, String what) throws InterruptedException {
        Duration limit = Pace.scaled(Duration.ofSeconds(10));
        long deadline = System.nanoTime() + limit.toNanos();
        while (!Files.exists(file)) {
            if (System.nanoTime() > deadline) {
                throw new DemoException(what + " " + file + " did not appear within " + limit.toSeconds() + " s");
            }
            Thread.sleep(20);
        }
    }

    static Path uapiSocket(String iface) {
        return Path.of("/var/run/wireguard", iface + ".sock");
    }

    private static void writePrivate(Path file, String text) throws IOException {
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, text, StandardCharsets.US_ASCII);
    }

    /**
     * Removes everything the lab and its wg-pr instance may have left, whatever stage it reached:
     * the daemon (SIGTERM, by the pid in its pid file), the lab's processes (by recorded pid, and only
     * if their command line still names this lab), the namespaces (which takes the cables and
     * tunnel interfaces with them), UAPI sockets, the instance's runtime directory, BPF pins and
     * cgroups, and the state directory. Goes on past failures and returns them.
     */
    List<String> remove() {
        shell.close();
        List<String> failures = new ArrayList<>();
        step(failures, "stop the wg-pr daemon", this::stopDaemon);
        step(failures, "stop the lab's processes", this::stopProcesses);
        for (String role : ROLES) {
            step(failures, "delete namespace " + namespace(role), () -> {
                if (Files.exists(Path.of("/run/netns", namespace(role)))) {
                    Shell.Result result = new Shell(Path.of(System.getProperty("java.io.tmpdir")))
                            .run("ip", "netns", "delete", namespace(role));
                    if (!result.ok()) {
                        throw new IOException(result.output().strip());
                    }
                }
            });
        }
        step(failures, "remove UAPI sockets", () -> {
            Files.deleteIfExists(uapiSocket(serverIface));
            Files.deleteIfExists(uapiSocket(clientIface));
        });
        step(failures, "remove the instance's pins and cgroups", () -> {
            Optional<Cgroup2Mount> cgroup2 = Cgroup2Mount.find();
            if (cgroup2.isPresent()) {
                Path mount = cgroup2.get().path();
                // The netns cookie is not used for removal; any non-zero value does.
                Enforcer.removePinned(new Enforcer.Config(instance.name(), mount, mount, Path.of("/sys/fs/bpf"), 1));
                if (!DaemonLeaf.removeOnceEmpty(mount, instance, Pace.scaled(Duration.ofSeconds(30)))) {
                    throw new IOException("the daemon's cgroup leaf " + DaemonLeaf.nonSystemdLeaf(mount, instance)
                            + " still holds a process");
                }
            }
        });
        step(failures, "remove the instance's runtime directory", () -> deleteTree(instance.runtimeDirectory()));
        step(failures, "remove the lab's state directory", () -> {
            deleteTree(state);
            try (Stream<Path> rest = Files.isDirectory(STATE_ROOT) ? Files.list(STATE_ROOT) : Stream.empty()) {
                if (Files.isDirectory(STATE_ROOT) && rest.findAny().isEmpty()) {
                    Files.deleteIfExists(STATE_ROOT);
                }
            }
        });
        return failures;
    }

    private void stopDaemon() throws IOException, InterruptedException {
        Path pidFile = instance.pidFile();
        if (!Files.exists(pidFile)) {
            return;
        }
        long pid;
        try {
            pid = Long.parseLong(Files.readString(pidFile).strip());
        } catch (NumberFormatException e) {
            return;
        }
        Optional<ProcessHandle> daemon = ProcessHandle.of(pid);
        if (daemon.isPresent() && commandLine(pid).contains(instance.name())) {
            // Its orderly stop may first dump its class-data archive (a minute at most, longer on a
            // busy machine, where the DNS forwarder's classes make the list longer): killed sooner, the
            // dump would outlive the lab.
            stop(daemon.get(), Pace.scaled(Duration.ofSeconds(90)));
        }
    }

    private void stopProcesses() throws IOException, InterruptedException {
        for (Process process : started) {
            stop(process.toHandle());
        }
        Path pids = state.resolve("pids");
        if (Files.exists(pids)) {
            for (String line : Files.readAllLines(pids)) {
                long pid = Long.parseLong(line.strip());
                Optional<ProcessHandle> handle = ProcessHandle.of(pid);
                // A recorded pid may have been reused since: end it only if it is still ours.
                if (handle.isPresent() && commandLine(pid).contains(id)) {
                    stop(handle.get());
                }
            }
        }
    }

    private static void stop(ProcessHandle process) throws InterruptedException {
        stop(process, Duration.ofSeconds(15));
    }

    private static void stop(ProcessHandle process, Duration limit) throws InterruptedException {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            process.onExit().get(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            process.destroyForcibly();
        }
    }

    private static String commandLine(long pid) {
        try {
            return new String(
                            Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")), StandardCharsets.UTF_8)
                    .replace('\0', ' ');
        } catch (IOException e) {
            return "";
        }
    }

    /** What of this lab is still on the system (empty after {@link #remove}). */
    List<String> leftovers() throws IOException {
        List<String> left = new ArrayList<>();
        for (String role : ROLES) {
            if (Files.exists(Path.of("/run/netns", namespace(role)))) {
                left.add("namespace " + namespace(role));
            }
        }
        List<Path> paths = new ArrayList<>(List.of(
                state,
                instance.runtimeDirectory(),
                instance.bpfPinDirectory(),
                uapiSocket(serverIface),
                uapiSocket(clientIface)));
        Optional<Cgroup2Mount> cgroup2 = Cgroup2Mount.find();
        cgroup2.ifPresent(mount -> paths.add(instance.cgroupSubtree(mount.path())));
        cgroup2.ifPresent(mount -> paths.add(DaemonLeaf.nonSystemdLeaf(mount.path(), instance)));
        for (Path path : paths) {
            if (Files.exists(path)) {
                left.add(path.toString());
            }
        }
        try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
            all.filter(p -> p.pid() != ProcessHandle.current().pid())
                    .filter(p -> commandLine(p.pid()).contains(PREFIX + id)
                            || commandLine(p.pid()).contains(serverIface))
                    .forEach(p -> left.add("process " + p.pid() + ": " + commandLine(p.pid())));
        }
        return left;
    }

    private interface Step {
        void run() throws IOException, InterruptedException;
    }

    private static void step(List<String> failures, String what, Step step) {
        try {
            step.run();
        } catch (IOException | RuntimeException e) {
            failures.add(what + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failures.add(what + ": interrupted");
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                Files.deleteIfExists(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
