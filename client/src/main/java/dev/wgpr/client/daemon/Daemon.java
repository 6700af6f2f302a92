package dev.wgpr.client.daemon;

import dev.wgpr.client.control.ConnectionLimits;
import dev.wgpr.client.control.Json;
import dev.wgpr.client.control.Message;
import dev.wgpr.client.control.PeerCredentials;
import dev.wgpr.client.control.Protocol;
import dev.wgpr.client.control.RequestReader;
import dev.wgpr.client.control.UnixSocket;
import dev.wgpr.common.ThreadFailures;
import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import dev.wgpr.common.linux.OwnedFd;
import dev.wgpr.enforcement.Enforcer;
import dev.wgpr.enforcement.NetnsCookie;
import java.io.EOFException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The privileged daemon of one instance: it owns the instance's tunnels, its app cgroups and the
 * processes {@code wg-pr run} starts, and answers the control socket ({@link Protocol}).
 *
 * <p>One daemon per instance is guaranteed by an exclusive lock on {@code daemon.lock} in the runtime
 * directory, held for the daemon's life (the kernel drops it if the daemon dies), so a stale socket
 * file from a crashed daemon is simply replaced. Connections are read by one {@link RequestReader} (no
 * thread per idle connection, bounded per user, a deadline and a size limit per request); each whole request
 * is served on a platform thread of its own (the socket calls block in native code), which ends with the
 * connection. Every long-lived thread survives what reaches its root ({@link ThreadFailures}, shown by
 * {@code status}). {@link #stop()} is the orderly end, also run by the JVM's
 * shutdown hook on {@code SIGTERM}: every tunnel down, then the runtime files removed.
 */
public final class Daemon {
    /** Signals a {@code run} caller may forward to its app. */
    private static final Set<Integer> FORWARDED_SIGNALS = Set.of(1, 2, 3, 10, 12, 15, 28);

    private final Instance instance;
    private final LaunchPolicy launchPolicy;
    private final Pieces pieces;
    private final Tunnels tunnels;
    private final EventLog events;
    private final long netnsCookie;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final UnixSocket listener;
    private final RequestReader requests;
    private final ThreadFailures threadFailures;
    private Thread requestThread;
    private final PrintStream log;
    private final Instant started = Instant.now();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Map<Integer, Map<String, Object>> running = new ConcurrentHashMap<>();
    private final List<String> foundAtStart = new ArrayList<>();
    private final LaunchService launcher;
    private final Supplier<Map<String, Object>> lockdown;
    private UnderlayWatch underlay;
    private boolean stopping;

    /**
     * How the daemon is set up.
     *
     * @param launchHelper the socket of the launch helper that starts apps when this daemon is locked
     *     down (see {@link LaunchHelper}); empty: this process starts them itself
     * @param lockdown what {@code status} shows of the lockdown
     */
    public record Options(
            String launchGroup, Optional<UnixSocket> launchHelper, Supplier<Map<String, Object>> lockdown) {
        public Options(String launchGroup) {
            this(launchGroup, Optional.empty(), () -> Map.of("state", "off: not locked down"));
        }

        public static Options defaults() {
            return new Options(LaunchPolicy.DEFAULT_GROUP);
        }
    }

    private Daemon(
            Instance instance,
            Options options,
            long netnsCookie,
            FileChannel lockChannel,
            FileLock lock,
            UnixSocket listener) {
        this.instance = instance;
        this.launchPolicy = new LaunchPolicy(options.launchGroup());
        this.lockdown = options.lockdown();
        this.log = System.err;
        this.netnsCookie = netnsCookie;
        this.events = new EventLog();
        this.pieces = Pieces.available(instance, netnsCookie, events, log);
        this.launcher = new ExecutableBinding(
                options.launchHelper().map(LaunchHelper::client).orElse(Launcher::launch), pieces.enforcement());
        this.tunnels = new Tunnels(pieces);
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.listener = listener;
        this.threadFailures = new ThreadFailures(line -> log.println("wg-pr daemon: " + line));
        this.requests = new RequestReader(
                listener,
                ConnectionLimits.defaults(),
                this::serve,
                line -> log.println("wg-pr daemon: " + line),
                threadFailures);
    }

    /**
     * Takes the instance's lock, opens its control socket and starts answering. Throws when another
     * daemon of the instance runs.
     */
    public static Daemon start(Instance instance, Options options) throws IOException {
        Path runtime = instance.runtimeDirectory();
        Files.createDirectories(runtime);
        // Everyone may reach the socket; who may do what is decided per request from SO_PEERCRED.
        Files.setPosixFilePermissions(runtime, PosixFilePermissions.fromString("rwxr-xr-x"));
        FileChannel lockChannel =
                FileChannel.open(instance.lockFile(), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = lockChannel.tryLock();
        if (lock == null) {
            lockChannel.close();
            throw new IOException("a daemon of instance " + instance + " is already running"
                    + readPid(instance).map(pid -> " (pid " + pid + ")").orElse(""));
        }
        UnixSocket listener;
        long netnsCookie;
        try {
            // The daemon's threads all live in the namespace it was started in: its tunnels' namespace.
            netnsCookie = NetnsCookie.ofCurrentThread();
            Files.deleteIfExists(instance.controlSocket());
            listener = UnixSocket.listen(instance.controlSocket(), 64);
            Files.setPosixFilePermissions(instance.controlSocket(), PosixFilePermissions.fromString("rw-rw-rw-"));
            Files.writeString(instance.pidFile(), ProcessHandle.current().pid() + "\n", StandardCharsets.US_ASCII);
        } catch (IOException | RuntimeException e) {
            lock.release();
            lockChannel.close();
            throw e;
        }
        Daemon daemon = new Daemon(instance, options, netnsCookie, lockChannel, lock, listener);
        daemon.cleanUpAfterCrash();
        try {
            daemon.underlay = UnderlayWatch.start(daemon.tunnels, daemon.log);
        } catch (ErrnoException e) {
            daemon.log.println("wg-pr daemon: cannot watch the underlay (bypass routes will not follow a network"
                    + " change): " + e.getMessage());
        }
        daemon.requestThread =
                Thread.ofPlatform().name("control-requests").daemon().start(daemon.requests::run);
        return daemon;
    }

    /**
     * Removes what a crashed daemon of this instance left behind, and remembers it for {@code status}:
     * its tagged routes (fail-closed unreachable routes, bypass host routes), its pinned BPF programs
     * and maps (still enforcing), its app cgroups, and the UAPI sockets of its interfaces (the TUN
     * interfaces themselves went with its process).
     */
    private void cleanUpAfterCrash() {
        try {
            for (String route : pieces.routes().holdStale()) {
                foundAtStart.add("found stale route " + route + " (kept until a tunnel replaces it)");
            }
        } catch (IOException e) {
            foundAtStart.add("could not look for stale routes: " + e.getMessage());
        }
        try {
            Enforcer.Config config = SharedEnforcement.config(instance, netnsCookie);
            Path pins = config.bpffs().resolve(instance.name());
            Path cgroups = config.cgroup2().resolve(instance.name());
            List<String> found = new ArrayList<>();
            if (Files.isDirectory(pins)) {
                try (var files = Files.list(pins)) {
                    found.add("pinned BPF objects " + pins + " ("
                            + String.join(
                                    ", ",
                                    files.map(f -> f.getFileName().toString())
                                            .sorted()
                                            .toList()) + ")");
                }
            }
            if (Files.isDirectory(cgroups)) {
                try (var dirs = Files.list(cgroups)) {
                    found.add("app cgroups " + cgroups + " ("
                            + String.join(
                                    ", ",
                                    dirs.filter(Files::isDirectory)
                                            .map(d -> d.getFileName().toString())
                                            .sorted()
                                            .toList())
                            + ")");
                }
            }
            if (!found.isEmpty()) {
                List<Path> kept = Enforcer.removePinned(config);
                found.forEach(what -> foundAtStart.add("removed stale " + what));
                kept.forEach(cgroup -> foundAtStart.add("kept app cgroup " + cgroup
                        + ": its processes outlived the crash; a tunnel naming app " + cgroup.getFileName()
                        + " adopts it"));
            }
        } catch (IOException | RuntimeException e) {
            foundAtStart.add("could not remove stale enforcement: " + e.getMessage());
        }
        for (String iface : StaleInterfaces.recorded(instance)) {
            foundAtStart.add(StaleInterfaces.cleanUp(iface));
        }
        StaleInterfaces.forgetAll(instance);
        foundAtStart.forEach(line -> log.println("wg-pr daemon: " + line));
    }

    public Instance instance() {
        return instance;
    }

    /** Blocks until {@link #stop()} has finished. */
    public void awaitStopped() throws InterruptedException {
        stopped.await();
    }

    /** The orderly end: stop answering, take every tunnel down, remove the runtime files. */
    public void stop() {
        synchronized (this) {
            if (stopping) {
                return;
            }
            stopping = true;
        }
        try {
            listener.shutdown(); // the reader sees it, closes what waits for a request, and ends
            try {
                if (requestThread != null) {
                    requestThread.join(TimeUnit.SECONDS.toMillis(2));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            listener.close();
            if (underlay != null) {
                try {
                    underlay.close();
                } catch (ErrnoException e) {
                    log.println("wg-pr daemon: closing the routing monitor: " + e.getMessage());
                }
            }
            List<String> failures = new ArrayList<>(tunnels.downAll());
            try {
                pieces.routes().releaseHeld();
            } catch (IOException e) {
                failures.add("removing stale routes: " + e.getMessage());
            }
            failures.addAll(pieces.enforcement().shutdown());
            failures.forEach(failure -> log.println("wg-pr daemon: " + failure));
            removeRuntimeFiles(failures.isEmpty());
        } finally {
            stopped.countDown();
        }
    }

    /** For tests of the launcher: see {@link Tunnels#addWithoutNetwork}. */
    Tunnels tunnels() {
        return tunnels;
    }

    private void removeRuntimeFiles(boolean removeLog) {
        try {
            Files.deleteIfExists(instance.controlSocket());
            Files.deleteIfExists(instance.pidFile());
            lock.release();
            lockChannel.close();
            Files.deleteIfExists(instance.lockFile());
            if (removeLog) {
                Files.deleteIfExists(instance.logFile());
            }
            try (var entries = Files.list(instance.runtimeDirectory())) {
                if (entries.findAny().isEmpty()) {
                    Files.delete(instance.runtimeDirectory());
                }
            }
        } catch (IOException e) {
            log.println("wg-pr daemon: cleaning up " + instance.runtimeDirectory() + ": " + e.getMessage());
        }
    }

    private static Optional<String> readPid(Instance instance) {
        try {
            return Optional.of(Files.readString(instance.pidFile()).strip());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * One whole request; the reader closes the connection once this returns. Received descriptors are
     * closed here too ({@code run} hands them to the app first).
     */
    private void serve(UnixSocket connection, PeerCredentials caller, Message message) {
        try {
            Map<String, Object> request;
            try {
                request = Json.parseObject(message.line());
            } catch (IllegalArgumentException e) {
                reply(connection, Protocol.error(Protocol.BAD_REQUEST, "not a JSON object: " + e.getMessage()));
                return;
            }
            if (!Long.valueOf(Protocol.VERSION).equals(request.get("v"))) {
                reply(
                        connection,
                        Protocol.error(
                                Protocol.BAD_REQUEST,
                                "protocol version " + request.get("v") + " is not " + Protocol.VERSION));
                return;
            }
            Object op = request.get("op");
            if (Protocol.RUN.equals(op)) {
                run(connection, caller, request, message.fds());
                return;
            }
            if (Protocol.EVENTS.equals(op)) {
                events(connection, caller, request);
                return;
            }
            reply(connection, handle(caller, op, request));
        } catch (EOFException e) {
            // the caller went away
        } catch (IOException | RuntimeException e) {
            log.println("wg-pr daemon: control connection: " + e);
        } finally {
            closeAll(message.fds());
        }
    }

    private Map<String, Object> handle(PeerCredentials caller, Object op, Map<String, Object> request) {
        if (Protocol.PING.equals(op)) {
            Map<String, Object> reply = Protocol.ok();
            reply.put("pid", ProcessHandle.current().pid());
            reply.put("instance", instance.name());
            return reply;
        }
        if (Protocol.STATUS.equals(op)) {
            return status(caller);
        }
        if (Protocol.UP.equals(op) || Protocol.DOWN.equals(op) || Protocol.RELOAD.equals(op)) {
            if (!caller.isRoot()) {
                return Protocol.error(
                        Protocol.PERMISSION,
                        "only root may " + (Protocol.RELOAD.equals(op) ? "reload tunnels" : "bring tunnels " + op)
                                + " (you are uid " + Integer.toUnsignedString(caller.uid()) + ")");
            }
            return switch ((String) op) {
                case Protocol.UP -> up(request);
                case Protocol.RELOAD -> reload(request);
                default -> down(request);
            };
        }
        return Protocol.error(Protocol.BAD_REQUEST, "unknown operation " + op);
    }

    private Map<String, Object> up(Map<String, Object> request) {
        if (!(request.get("config") instanceof String config)
                || !Path.of(config).isAbsolute()) {
            return Protocol.error(Protocol.BAD_REQUEST, "up needs \"config\": an absolute path");
        }
        try {
            String name = tunnels.up(Path.of(config));
            Map<String, Object> reply = Protocol.ok();
            reply.put("tunnel", name);
            return reply;
        } catch (UpFailedException e) {
            return failure(e);
        }
    }

    private Map<String, Object> reload(Map<String, Object> request) {
        if (!(request.get("config") instanceof String config)
                || !Path.of(config).isAbsolute()) {
            return Protocol.error(Protocol.BAD_REQUEST, "reload needs \"config\": an absolute path");
        }
        try {
            Reload.Outcome outcome = tunnels.reload(Path.of(config));
            outcome.changes()
                    .forEach(change -> log.println("wg-pr daemon: reload " + outcome.tunnel() + ": " + change));
            Map<String, Object> reply = Protocol.ok();
            reply.put("tunnel", outcome.tunnel());
            reply.put("changes", outcome.changes());
            return reply;
        } catch (UpFailedException e) {
            return failure(e);
        }
    }

    private static Map<String, Object> failure(UpFailedException e) {
        return Protocol.error(
                switch (e.kind()) {
                    case BAD_CONFIG -> Protocol.BAD_CONFIG;
                    case FAILED -> Protocol.FAILED;
                },
                e.getMessage());
    }

    private Map<String, Object> down(Map<String, Object> request) {
        if (!(request.get("tunnel") instanceof String name)) {
            return Protocol.error(Protocol.BAD_REQUEST, "down needs \"tunnel\"");
        }
        try {
            List<String> failures = tunnels.down(name);
            if (!failures.isEmpty()) {
                return Protocol.error(Protocol.FAILED, name + " is down, but:\n  " + String.join("\n  ", failures));
            }
            return Protocol.ok();
        } catch (UpFailedException e) {
            return Protocol.error(Protocol.FAILED, e.getMessage());
        }
    }

    /** Everything, except that a caller other than root sees only its own running apps. */
    private Map<String, Object> status(PeerCredentials caller) {
        Map<String, Object> reply = Protocol.ok();
        reply.put("instance", instance.name());
        Map<String, Object> daemon = new LinkedHashMap<>();
        daemon.put("pid", ProcessHandle.current().pid());
        daemon.put("started", started.toString());
        daemon.put("launchGroup", launchPolicy.group());
        daemon.put("netnsCookie", netnsCookie);
        daemon.put("foundAtStart", List.copyOf(foundAtStart));
        daemon.put("heldStaleRoutes", pieces.routes().held());
        daemon.put("lockdown", lockdown.get());
        daemon.put("control", requests.status());
        daemon.put("threadFailures", threadFailures.counts());
        reply.put("daemon", daemon);
        reply.put("tunnels", tunnels.status());
        reply.put("enforcement", pieces.enforcement().status());
        long uid = Integer.toUnsignedLong(caller.uid());
        reply.put(
                "running",
                running.values().stream()
                        .filter(app -> caller.isRoot() || app.get("uid").equals(uid))
                        .toList());
        return reply;
    }

    /**
     * {@code events}: the deny events in the log; with {@code "follow": true} the connection stays
     * open and each new event follows as one {@code {"event":"deny",…}} message, until the caller goes
     * away or the daemon stops. Root only: events name other users' processes.
     */
    private void events(UnixSocket connection, PeerCredentials caller, Map<String, Object> request) throws IOException {
        if (!caller.isRoot()) {
            reply(
                    connection,
                    Protocol.error(
                            Protocol.PERMISSION,
                            "only root may read deny events (you are uid " + Integer.toUnsignedString(caller.uid())
                                    + ")"));
            return;
        }
        List<Map<String, Object>> recent = events.after(0);
        Map<String, Object> reply = Protocol.ok();
        reply.put("events", recent);
        reply.put("dropped", events.dropped());
        reply.put("suppressed", events.suppressed());
        reply(connection, reply);
        if (!Boolean.TRUE.equals(request.get("follow"))) {
            return;
        }
        long seen = recent.isEmpty() ? events.latest() : (Long) recent.getLast().get("seq");
        try {
            while (!isStopping()) {
                for (Map<String, Object> event : events.await(seen, 1000)) {
                    Map<String, Object> message = new LinkedHashMap<>();
                    message.put("v", Protocol.VERSION);
                    message.put("event", "deny");
                    message.putAll(event);
                    reply(connection, message);
                    seen = (Long) event.get("seq");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ErrnoException e) {
            // the follower went away
        }
    }

    private synchronized boolean isStopping() {
        return stopping;
    }

    /** {@code run}: the connection (and this thread) stays until the app ends, for its signals. */
    private void run(UnixSocket connection, PeerCredentials caller, Map<String, Object> request, List<OwnedFd> fds) {
        try {
            runAndWait(connection, caller, request, fds);
        } catch (IOException | RuntimeException e) {
            log.println("wg-pr daemon: run: " + e);
        }
    }

    private void runAndWait(
            UnixSocket connection, PeerCredentials caller, Map<String, Object> request, List<OwnedFd> fds)
            throws IOException {
        Optional<String> refusal = launchPolicy.refusal(caller);
        if (refusal.isPresent()) {
            reply(connection, Protocol.error(Protocol.PERMISSION, refusal.get()));
            return;
        }
        Launcher.Request launch;
        String appName;
        Optional<String> tunnel;
        try {
            appName = (String) request.get("app");
            tunnel = Optional.ofNullable((String) request.get("tunnel"));
            List<String> argv = new ArrayList<>();
            for (Object arg : (List<?>) request.get("argv")) {
                argv.add((String) arg);
            }
            Map<String, String> environment = new LinkedHashMap<>();
            ((Map<?, ?>) request.get("env")).forEach((k, v) -> environment.put((String) k, (String) v));
            launch = new Launcher.Request(argv, Path.of((String) request.get("cwd")), environment);
            if (appName == null) {
                throw new IllegalArgumentException("no app");
            }
        } catch (ClassCastException | NullPointerException | IllegalArgumentException e) {
            reply(
                    connection,
                    Protocol.error(Protocol.BAD_REQUEST, "run needs app, argv, cwd and env: " + e.getMessage()));
            return;
        }
        LaunchedProcess process;
        try {
            Tunnels.LaunchableApp app = tunnels.app(appName, tunnel);
            process = launcher.launch(app.app(), app.cgroup(), caller, launch, fds);
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("pid", process.pid());
            entry.put("app", appName);
            entry.put("tunnel", app.tunnel());
            entry.put("uid", Integer.toUnsignedLong(caller.uid()));
            running.put(process.pid(), entry);
        } catch (LaunchRefusedException e) {
            Map<String, Object> reply = Protocol.error(Protocol.REFUSED, e.getMessage());
            reply.put("status", e.exitStatus());
            reply(connection, reply);
            return;
        }
        closeAll(fds);
        try {
            Map<String, Object> started = Protocol.ok();
            started.put("pid", process.pid());
            reply(connection, started);
            Thread forwarder =
                    Thread.ofPlatform().name("run-signals").daemon().start(() -> forwardSignals(connection, process));
            LaunchedProcess.Exit exit = process.waitFor();
            Map<String, Object> event = new LinkedHashMap<>();
            event.put("v", Protocol.VERSION);
            event.put("event", "exit");
            if (exit.exited()) {
                event.put("status", exit.status());
            } else {
                event.put("signal", exit.signal());
            }
            try {
                reply(connection, event);
            } catch (ErrnoException e) {
                // the caller is gone; the app ended anyway
            }
            connection.shutdown();
            forwarder.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            running.remove(process.pid());
        }
    }

    /**
     * Reads {@code signal} messages from the caller until the connection ends. When the caller goes
     * away while the app runs, the app gets {@code SIGHUP}, as when a terminal hangs up.
     */
    private void forwardSignals(UnixSocket connection, LaunchedProcess process) {
        while (true) {
            try {
                Map<String, Object> message = Json.parseObject(
                        connection.receive(RequestReader.MAX_REQUEST).line());
                if (Protocol.SIGNAL.equals(message.get("op"))
                        && message.get("signal") instanceof Long signal
                        && FORWARDED_SIGNALS.contains(signal.intValue())) {
                    process.signal(signal.intValue());
                }
            } catch (IOException | IllegalArgumentException e) {
                process.signal(Libc.SIGHUP);
                return;
            }
        }
    }

    private static void reply(UnixSocket connection, Map<String, Object> message) throws ErrnoException {
        connection.send(Json.write(message));
    }

    private static void closeAll(List<OwnedFd> fds) {
        for (OwnedFd fd : fds) {
            try {
                fd.close();
            } catch (ErrnoException e) {
                // a descriptor we received and no longer need
            }
        }
    }
}
