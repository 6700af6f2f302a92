package dev.wgpr.testing.lab;

import dev.wgpr.testing.FileTrees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A throw-away network of test hosts: network namespaces joined by veth pairs, all named after one
 * random lab id so parallel runs never collide, and all removed by {@link #close()}.
 *
 * <p>Everything the lab creates is recorded <em>before</em> it is created, so {@code close()} also
 * cleans up after a setup that failed halfway. Three nets catch a lab nobody closed: {@link
 * NetnsLabExtension} closes it after the test even when the test fails; a JVM shutdown hook closes
 * it when the JVM exits normally; and {@link #create()} sweeps labs whose JVM died without either
 * (each lab leaves a marker naming its owner process under {@code /run/wgpr-lab}).
 *
 * <p>Names: namespaces are {@code wgpr-<id>-<role>} ({@code id} is 6 hex digits); veth ends are
 * {@code eth0}, {@code eth1}, … per namespace, like a real host's interfaces; names that must be
 * unique machine-wide (a WireGuard interface, whose UAPI socket lives in the shared {@code
 * /var/run/wireguard}) come from {@link #interfaceName(String)} and contain the id.
 *
 * <pre>{@code
 * try (NetnsLab lab = NetnsLab.create()) {
 *     Namespace a = lab.namespace("a");
 *     Namespace b = lab.namespace("b");
 *     Veth cable = lab.veth(a, b);
 *     cable.a().address("10.0.0.1/24");
 *     cable.b().address("10.0.0.2/24");
 *     assertTrue(a.ping("10.0.0.2"));
 * }
 * }</pre>
 *
 * For the standard shapes (client, router, server, Internet host) see {@link Topologies}.
 */
public final class NetnsLab implements AutoCloseable {
    /** Every lab namespace starts with this; nothing else on the machine should. */
    public static final String NAME_PREFIX = "wgpr-";

    static final Path MARKER_DIR = Path.of("/run/wgpr-lab");
    static final Path WIREGUARD_SOCKET_DIR = Path.of("/var/run/wireguard");
    private static final Pattern ROLE = Pattern.compile("[a-z][a-z0-9]{0,15}");
    private static final int IFNAMSIZ_MAX = 15;
    private static final Duration STOP_GRACE = Duration.ofSeconds(2);

    private final String id;
    private final Path scratchDir;
    private final Path marker;
    private final Thread shutdownHook;
    private final List<Namespace> namespaces = new ArrayList<>();
    private final List<String> namespaceNames = new ArrayList<>();
    private final List<LabProcess> processes = new ArrayList<>();
    private final List<Path> filesToDelete = new ArrayList<>();
    private int nextInterfaceNumber;
    private int nextLogNumber;
    private boolean closed;

    private NetnsLab(String id, Path scratchDir, Path marker) {
        this.id = id;
        this.scratchDir = scratchDir;
        this.marker = marker;
        this.shutdownHook = new Thread(this::closeFromShutdownHook, "netns-lab-" + id + "-shutdown");
    }

    /** A new, empty lab with a fresh id; also removes what crashed earlier runs left behind. */
    public static NetnsLab create() {
        sweepAbandonedLabs();
        String id = HexFormat.of().formatHex(new SecureRandom().generateSeed(3));
        try {
            Path scratch = Files.createTempDirectory("wgpr-lab-" + id + "-");
            Files.createDirectories(MARKER_DIR);
            Path marker = MARKER_DIR.resolve(id);
            ProcessHandle self = ProcessHandle.current();
            Files.writeString(
                    marker,
                    "pid=" + self.pid() + "\nstart="
                            + self.info().startInstant().map(Instant::toString).orElse("")
                            + "\nscratch=" + scratch + "\n");
            NetnsLab lab = new NetnsLab(id, scratch, marker);
            Runtime.getRuntime().addShutdownHook(lab.shutdownHook);
            return lab;
        } catch (IOException e) {
            throw new LabException("cannot create the lab's scratch directory or marker: " + e.getMessage(), e);
        }
    }

    /** The random id in every name this lab creates. */
    public String id() {
        return id;
    }

    /** A private directory for keys, logs and other files; deleted on close. */
    public Path scratchDir() {
        return scratchDir;
    }

    /**
     * A new namespace {@code wgpr-<id>-<role>} with loopback up and IPv6 duplicate address detection
     * off (so addresses work the moment they are added).
     *
     * @param role a short lowercase word, unique in this lab: {@code client}, {@code router}, …
     */
    public synchronized Namespace namespace(String role) {
        requireOpen();
        if (!ROLE.matcher(role).matches()) {
            throw new IllegalArgumentException("role must match " + ROLE + ": " + role);
        }
        String name = NAME_PREFIX + id + "-" + role;
        if (namespaceNames.contains(name)) {
            throw new IllegalArgumentException("this lab already has a namespace for role " + role);
        }
        namespaceNames.add(name); // recorded first: close() must delete it even if setup below fails
        Processes.run(List.of("ip", "netns", "add", name), Namespace.DEFAULT_TIMEOUT, scratchDir)
                .requireSuccess();
        Namespace ns = new Namespace(this, name, role);
        namespaces.add(ns);
        ns.run("sysctl", "-q", "-w", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0");
        ns.up("lo");
        return ns;
    }

    /** The namespaces made so far, in order. */
    public synchronized List<Namespace> namespaces() {
        return List.copyOf(namespaces);
    }

    /** The namespace of {@code role}, if this lab made one. */
    public synchronized Optional<Namespace> find(String role) {
        return namespaces.stream().filter(ns -> ns.role().equals(role)).findFirst();
    }

    /** Joins two namespaces with a veth pair, named {@code ethN} on each side, both ends up. */
    public synchronized Veth veth(Namespace a, Namespace b) {
        requireOpen();
        if (a.equals(b)) {
            throw new IllegalArgumentException("a veth pair needs two namespaces, got " + a + " twice");
        }
        String aName = a.nextEthName();
        String bName = b.nextEthName();
        // Created directly inside the namespaces, so the host namespace never sees these names.
        a.ip("link", "add", aName, "type", "veth", "peer", "name", bName, "netns", b.name());
        a.up(aName);
        b.up(bName);
        return new Veth(new Port(a, aName), new Port(b, bName));
    }

    /**
     * An interface name unique on this machine, {@code prefix + id + n}, at most 15 characters; for
     * interfaces whose names meet in a shared place, such as WireGuard UAPI sockets.
     */
    public synchronized String interfaceName(String prefix) {
        String name = prefix + id + nextInterfaceNumber++;
        if (name.length() > IFNAMSIZ_MAX) {
            throw new IllegalArgumentException("interface name " + name + " is longer than 15 characters");
        }
        return name;
    }

    /** Deletes {@code file} on close (for files a test makes outside {@link #scratchDir()}). */
    public synchronized void deleteOnClose(Path file) {
        filesToDelete.add(file);
    }

    /** Names of the namespaces this lab has made (or was making when something failed). */
    public synchronized List<String> namespaceNames() {
        return List.copyOf(namespaceNames);
    }

    public synchronized List<LabProcess> processes() {
        return List.copyOf(processes);
    }

    synchronized LabProcess startProcess(Namespace ns, String executable, List<String> command) {
        requireOpen();
        String program = Path.of(executable).getFileName().toString();
        Path log = scratchDir.resolve(String.format("%02d-%s-%s.log", nextLogNumber++, ns.role(), program));
        try {
            Process process = new ProcessBuilder(command)
                    .redirectInput(Path.of("/dev/null").toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            LabProcess started = new LabProcess(command, process, log);
            processes.add(started);
            return started;
        } catch (IOException e) {
            throw new LabException("cannot start `" + String.join(" ", command) + "`: " + e.getMessage(), e);
        }
    }

    /**
     * Stops every process, deletes every namespace (and with them their interfaces and routes),
     * WireGuard socket and file of this lab. Safe to call twice and after a failed setup; it does
     * every step even when one fails, then reports all failures at once.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<Throwable> failures = new ArrayList<>();
        for (LabProcess process : processes.reversed()) {
            attempt(failures, process::stop);
        }
        for (String name : namespaceNames.reversed()) {
            attempt(failures, () -> removeNamespace(name, scratchDir));
        }
        attempt(failures, () -> removeWireGuardSockets(id));
        for (Path file : filesToDelete) {
            attempt(failures, () -> Processes.deleteQuietly(file));
        }
        attempt(failures, () -> FileTrees.delete(scratchDir));
        attempt(failures, () -> Processes.deleteQuietly(marker));
        if (Thread.currentThread() != shutdownHook) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or about to; it will find the lab closed
            }
        }
        if (!failures.isEmpty()) {
            LabException e = new LabException("lab " + id + " did not close cleanly: " + failures.getFirst());
            failures.forEach(e::addSuppressed);
            throw e;
        }
    }

    private void closeFromShutdownHook() {
        try {
            close();
        } catch (RuntimeException e) {
            System.err.println("netns lab " + id + ": " + e.getMessage());
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("lab " + id + " is closed");
        }
    }

    private static void attempt(List<Throwable> failures, Runnable step) {
        try {
            step.run();
        } catch (RuntimeException e) {
            failures.add(e);
        }
    }

    /**
     * Ends whatever still runs inside the namespace (only lab-made processes can be in a namespace
     * the lab made: a daemon a test started there, a forked child), then deletes it. The processes
     * go first because a process keeps its namespace alive after {@code ip netns del}.
     */
    private static void removeNamespace(String name, Path scratchDir) {
        if (!Files.exists(Path.of("/run/netns", name))) {
            return;
        }
        CommandResult pids = Processes.run(List.of("ip", "netns", "pids", name), Namespace.DEFAULT_TIMEOUT, scratchDir);
        pids.stdout()
                .lines()
                .map(String::strip)
                .filter(line -> !line.isEmpty())
                .map(Long::parseLong)
                .map(ProcessHandle::of)
                .flatMap(Optional::stream)
                .forEach(p -> Processes.killTree(p, STOP_GRACE));
        CommandResult deleted =
                Processes.run(List.of("ip", "netns", "delete", name), Namespace.DEFAULT_TIMEOUT, scratchDir);
        if (!deleted.succeeded() && Files.exists(Path.of("/run/netns", name))) {
            deleted.requireSuccess();
        }
    }

    /** WireGuard UAPI sockets named after lab interfaces ({@link #interfaceName} puts the id in them). */
    private static void removeWireGuardSockets(String id) {
        if (!Files.isDirectory(WIREGUARD_SOCKET_DIR)) {
            return;
        }
        try (Stream<Path> sockets = Files.list(WIREGUARD_SOCKET_DIR)) {
            sockets.filter(p -> p.getFileName().toString().contains(id)
                            && p.getFileName().toString().endsWith(".sock"))
                    .forEach(Processes::deleteQuietly);
        } catch (IOException e) {
            throw new LabException("cannot list " + WIREGUARD_SOCKET_DIR + ": " + e.getMessage(), e);
        }
    }

    /**
     * Removes labs whose owning JVM is gone (killed before any hook could run): their namespaces
     * with whatever runs inside, their WireGuard sockets, scratch directories and markers. A lab
     * whose owner still runs is left alone.
     */
    static void sweepAbandonedLabs() {
        if (!Files.isDirectory(MARKER_DIR)) {
            return;
        }
        List<Path> markers;
        try (Stream<Path> list = Files.list(MARKER_DIR)) {
            markers = list.toList();
        } catch (IOException e) {
            return;
        }
        for (Path marker : markers) {
            Map<String, String> fields;
            try {
                fields = Files.readAllLines(marker).stream()
                        .filter(line -> line.contains("="))
                        .collect(Collectors.toMap(
                                line -> line.substring(0, line.indexOf('=')),
                                line -> line.substring(line.indexOf('=') + 1),
                                (x, y) -> y));
            } catch (IOException e) {
                continue;
            }
            if (ownerAlive(fields)) {
                continue;
            }
            String id = marker.getFileName().toString();
            Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
            List<Throwable> ignored = new ArrayList<>();
            for (String name : labNamespaces(id)) {
                attempt(ignored, () -> removeNamespace(name, tmp));
            }
            attempt(ignored, () -> removeWireGuardSockets(id));
            String scratch = fields.getOrDefault("scratch", "");
            if (scratch.contains("wgpr-lab-" + id)) {
                attempt(ignored, () -> FileTrees.delete(Path.of(scratch)));
            }
            attempt(ignored, () -> Processes.deleteQuietly(marker));
        }
    }

    private static boolean ownerAlive(Map<String, String> marker) {
        try {
            long pid = Long.parseLong(marker.getOrDefault("pid", ""));
            String start = marker.getOrDefault("start", "");
            return ProcessHandle.of(pid)
                    .filter(ProcessHandle::isAlive)
                    .filter(p -> p.info()
                            .startInstant()
                            .map(Instant::toString)
                            .orElse("")
                            .equals(start))
                    .isPresent();
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static List<String> labNamespaces(String id) {
        Path netnsDir = Path.of("/run/netns");
        if (!Files.isDirectory(netnsDir)) {
            return List.of();
        }
        try (Stream<Path> names = Files.list(netnsDir)) {
            return names.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith(NAME_PREFIX + id + "-"))
                    .toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    @Override
    public String toString() {
        return "NetnsLab " + id + " " + namespaceNames;
    }
}
