package dev.wgpr.client.daemon;

import dev.wgpr.client.control.ConnectionLimits;
import dev.wgpr.client.control.DaemonStatus;
import dev.wgpr.client.control.LockdownStatus;
import dev.wgpr.client.control.PeerCredentials;
import dev.wgpr.client.control.Protocol;
import dev.wgpr.client.control.RequestReader;
import dev.wgpr.client.control.UnixSocket;
import dev.wgpr.client.dns.ResolvedNames;
import dev.wgpr.common.ThreadFailures;
import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.enforcement.NetnsCookie;
import dev.wgpr.enforcement.cgroup.Cgroup2Mount;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.security.Security;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The privileged daemon of one instance: it owns the instance's tunnels, its app cgroups and the
 * processes {@code wg-pr run} starts, and answers the control socket ({@link Protocol}).
 *
 * <p>This class puts the daemon together and takes it apart; each job is a class of its own: the runtime
 * files and the one-daemon lock ({@link RuntimeFiles}), what a crashed daemon left ({@link CrashRecovery}),
 * the requests ({@link RequestDispatch}), the {@code run} sessions ({@link RunSessions}, {@link
 * SignalForwarder}) and the deny events ({@link EventStream}). Connections are read by one {@link
 * RequestReader} (no thread per idle connection, bounded per user, a deadline and a size limit per request);
 * each whole request is served on a platform thread of its own, which ends with the connection. Every
 * long-lived thread survives what reaches its root ({@link ThreadFailures}, shown by {@code status}). {@link
 * #stop()} is the orderly end, also run by the JVM's shutdown hook on {@code SIGTERM}: every tunnel down,
 * then the runtime files removed.
 */
public final class Daemon {
    private final Instance instance;
    private final Authorization authorization;
    private final Pieces pieces;
    private final Tunnels tunnels;
    private final long netnsCookie;
    private final RuntimeFiles files;
    private final RequestReader requests;
    private final ThreadFailures threadFailures;
    private final RunSessions runs;
    private final Supplier<LockdownStatus> lockdown;
    private final PrintStream log = System.err;
    private final Instant started = Instant.now();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final List<String> foundAtStart;
    private Thread requestThread;
    private UnderlayWatch underlay;
    private boolean stopping;

    /**
     * How the daemon is set up.
     *
     * @param launchHelper the socket of the launch helper that starts apps when this daemon is locked
     *     down (see {@link LaunchHelper}); empty: this process starts them itself
     * @param lockdown what {@code status} shows of the lockdown
     * @param statusText how {@code status-text} requests are answered; empty: they are refused as a bad request
     *     (the CLI then asks for the status tree and renders it itself)
     * @param tunnelsChanged run after each {@code up}, {@code reload} and {@code down} that changed a tunnel,
     *     once its reply is sent (the locked-down daemon gives back the pages it brought)
     */
    public record Options(
            String launchGroup,
            List<Path> configDirectories,
            Optional<UnixSocket> launchHelper,
            Supplier<LockdownStatus> lockdown,
            Optional<StatusRendering> statusText,
            Runnable tunnelsChanged) {
        public Options {
            configDirectories = List.copyOf(configDirectories);
        }

        public Options(
                String launchGroup,
                List<Path> configDirectories,
                Optional<UnixSocket> launchHelper,
                Supplier<LockdownStatus> lockdown) {
            this(launchGroup, configDirectories, launchHelper, lockdown, Optional.empty(), () -> {});
        }

        public Options(String launchGroup, List<Path> configDirectories) {
            this(launchGroup, configDirectories, Optional.empty(), () -> LockdownStatus.only("off: not locked down"));
        }

        public static Options defaults() {
            return new Options(Authorization.DEFAULT_GROUP, List.of());
        }

        /** These options, with {@code status-text} requests answered by {@code rendering}. */
        public Options withStatusText(StatusRendering rendering) {
            return new Options(
                    launchGroup, configDirectories, launchHelper, lockdown, Optional.of(rendering), tunnelsChanged);
        }

        /** These options, with {@code then} run after each change of the tunnels. */
        public Options withTunnelsChanged(Runnable then) {
            return new Options(launchGroup, configDirectories, launchHelper, lockdown, statusText, then);
        }
    }

    private Daemon(Instance instance, Options options, long netnsCookie, RuntimeFiles files) throws ErrnoException {
        this.instance = instance;
        this.authorization = new Authorization(
                options.launchGroup(), options.configDirectories(), Authorization.PolkitCheck.SYSTEM_BUS);
        this.lockdown = options.lockdown();
        this.netnsCookie = netnsCookie;
        this.files = files;
        EventLog events = new EventLog();
        this.pieces = Pieces.available(instance, netnsCookie, events, log);
        this.threadFailures = new ThreadFailures(line -> log.println("wg-pr daemon: " + line));
        ResolvedNames names = new ResolvedNames();
        this.tunnels = new Tunnels(
                pieces,
                new DnsStage.Settings(
                        () -> DnsStage.hostServers(instance.resolverStateDirectory()),
                        instance,
                        threadFailures,
                        ownLeaf(instance, log),
                        names),
                instance.resolverStateDirectory());
        this.runs = new RunSessions(
                authorization,
                new ExecutableBinding(
                        options.launchHelper()
                                .map(LaunchHelper::client)
                                .orElse((app, command, place) -> Launcher.launch(command, place)),
                        pieces.enforcement()),
                tunnels,
                events,
                log);
        this.requests = new RequestReader(
                files.listener(),
                ConnectionLimits.defaults(),
                new RequestDispatch(
                        instance,
                        tunnels,
                        runs,
                        authorization,
                        new EventStream(events, this::isStopping),
                        this::status,
                        options.statusText(),
                        names,
                        options.tunnelsChanged(),
                        log),
                line -> log.println("wg-pr daemon: " + line),
                threadFailures);
        this.foundAtStart = CrashRecovery.cleanUp(instance, netnsCookie, pieces);
        foundAtStart.forEach(line -> log.println("wg-pr daemon: " + line));
    }

    /**
     * Takes the instance's lock, opens its control socket, cleans up after a crashed daemon and starts
     * answering. Throws when another daemon of the instance runs.
     */
    public static Daemon start(Instance instance, Options options) throws IOException {
        // An endpoint name that failed to resolve (at boot, before the network) is asked again at once by the
        // next up, not answered from the JVM's memory of the failure for 10 s.
        Security.setProperty("networkaddress.cache.negative.ttl", "0");
        // The daemon's threads all live in the namespace it was started in: its tunnels' namespace.
        long netnsCookie = NetnsCookie.ofCurrentThread();
        Daemon daemon = new Daemon(instance, options, netnsCookie, RuntimeFiles.claim(instance));
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
            UnixSocket listener = files.listener();
            // The reader closes what waits for a request and ends; the listener itself is not shut down: when
            // systemd passed it (wg-pr.socket), systemd keeps listening on it for the next daemon.
            requests.stop();
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
            runs.close();
            List<String> failures = new ArrayList<>(tunnels.downAll());
            try {
                pieces.routes().releaseHeld();
            } catch (IOException e) {
                failures.add("removing stale routes: " + e.getMessage());
            }
            failures.addAll(pieces.enforcement().shutdown());
            failures.forEach(failure -> log.println("wg-pr daemon: " + failure));
            files.release(failures.isEmpty(), log);
        } finally {
            stopped.countDown();
        }
    }

    /** For tests of the launcher: see {@link Tunnels#addWithoutNetwork}. */
    Tunnels tunnels() {
        return tunnels;
    }

    private synchronized boolean isStopping() {
        return stopping;
    }

    /** Everything, except that a caller other than root sees only its own running apps. */
    private DaemonStatus status(PeerCredentials caller) {
        return new DaemonStatus(
                DaemonStatus.SCHEMA,
                instance.name(),
                new DaemonStatus.Daemon(
                        ProcessHandle.current().pid(),
                        started.toString(),
                        authorization.group(),
                        netnsCookie,
                        foundAtStart,
                        pieces.routes().held(),
                        lockdown.get(),
                        requests.status(),
                        threadFailures.counts()),
                tunnels.status(),
                pieces.enforcement().status(),
                runs.visibleTo(caller));
    }

    /** The daemon's own cgroup leaf ({@link DaemonLeaf}), when it runs in one: a daemon in a test's JVM does not. */
    private static Optional<Path> ownLeaf(Instance instance, PrintStream log) {
        try {
            Optional<Cgroup2Mount> mount = Cgroup2Mount.find();
            return mount.isPresent() ? DaemonLeaf.current(mount.get().path(), instance) : Optional.empty();
        } catch (IOException e) {
            log.println("wg-pr daemon: cannot tell its own cgroup (" + e.getMessage()
                    + "); its DNS forwarder will not reach the tunnels' DNS servers");
            return Optional.empty();
        }
    }
}
