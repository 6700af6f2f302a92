package dev.wgpr.client.daemon;

import dev.wgpr.client.control.DaemonStatus;
import dev.wgpr.client.control.DeniedAttempt;
import dev.wgpr.enforcement.cgroup.Cgroup2Mount;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Notices an app that {@code wg-pr run} started and something moved out of its app cgroup: {@code
 * systemd-run --user --scope} and {@code flatpak run} move the very process they run in into a scope of
 * their own, and root (or the owner of a delegated subtree above both) may write any pid into any {@code
 * cgroup.procs}. Out there the process has none of its app's grants: the enforcement judges by cgroup. So
 * the user hears why its app lost the tunnel: {@code status} names where it went and {@code events} has a
 * deny-style event, once per move.
 *
 * <p>It looks at the launched process's {@code /proc/<pid>/cgroup} once a second and at every {@code
 * status}: a handful of small reads, whatever the traffic. The session forgets the pid as soon as it has
 * the app's exit, so a reused pid would have to come back within that instant to be looked at.
 */
final class CgroupEscapes implements AutoCloseable {
    private static final long PERIOD_MILLIS = 1000;

    private final Map<Integer, DaemonStatus.RunningApp> running;
    private final EventLog events;
    private final PrintStream log;
    /** pid → where it belongs and where it was launched from. */
    private final Map<Integer, Watch> watched = new ConcurrentHashMap<>();

    /**
     * @param appCgroup the app's cgroup as {@code /proc/<pid>/cgroup} names it ("/wg-pr/ssh")
     * @param launchedFrom the cgroup the process was in when the launcher returned, until it is seen in
     *     its app's: the launch step moves itself there just before its exec, which on a slow machine
     *     comes after the first look, and it has not left what it never entered; null once seen there
     */
    private record Watch(String appCgroup, String launchedFrom) {}

    private ScheduledExecutorService looker;

    CgroupEscapes(Map<Integer, DaemonStatus.RunningApp> running, EventLog events, PrintStream log) {
        this.running = running;
        this.events = events;
        this.log = log;
    }

    /** Watches {@code pid}, which the launcher put in {@code appCgroup}. */
    synchronized void watch(int pid, Path appCgroup) throws IOException {
        Optional<Cgroup2Mount> mount = Cgroup2Mount.find();
        if (mount.isEmpty() || !appCgroup.startsWith(mount.get().path())) {
            return;
        }
        String app = "/" + mount.get().path().relativize(appCgroup);
        String launchedFrom;
        try {
            launchedFrom = cgroupOf(pid).filter(now -> !within(now, app)).orElse(null);
        } catch (IOException e) {
            launchedFrom = null; // already gone: its session ends it
        }
        watched.put(pid, new Watch(app, launchedFrom));
        if (looker == null) {
            looker = Executors.newSingleThreadScheduledExecutor(
                    Thread.ofPlatform().name("cgroup-escapes").daemon().factory());
            looker.scheduleWithFixedDelay(this::check, PERIOD_MILLIS, PERIOD_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    void forget(int pid) {
        watched.remove(pid);
    }

    /** Compares each watched process's cgroup with its app's; a change is logged, and told once. */
    synchronized void check() {
        watched.forEach((pid, watch) -> {
            try {
                Optional<String> now = cgroupOf(pid);
                DaemonStatus.RunningApp app = running.get(pid);
                if (now.isEmpty() || app == null) {
                    return;
                }
                String cgroup = now.get();
                boolean inItsOwn = within(cgroup, watch.appCgroup());
                if (watch.launchedFrom() != null) {
                    if (cgroup.equals(watch.launchedFrom())) {
                        return; // not placed yet
                    }
                    watched.replace(pid, watch, new Watch(watch.appCgroup(), null));
                }
                if (inItsOwn && app.leftFor() != null) {
                    running.put(pid, app.in(null));
                    log.println("wg-pr daemon: " + app.app() + " (pid " + pid + ") is back in its app cgroup");
                } else if (!inItsOwn && !cgroup.equals(app.leftFor())) {
                    DaemonStatus.RunningApp moved = app.in(cgroup);
                    running.put(pid, moved);
                    log.println("wg-pr daemon: " + moved.leftNotice());
                    events.add(event(moved, comm(pid)));
                }
            } catch (IOException e) {
                // gone between the look at the map and the read: the session ends it
            }
        });
    }

    private static Optional<String> cgroupOf(int pid) throws IOException {
        return SystemdDelegation.ownCgroup(
                Files.readAllLines(Path.of("/proc/" + pid + "/cgroup"), StandardCharsets.UTF_8));
    }

    private static boolean within(String cgroup, String appCgroup) {
        return cgroup.equals(appCgroup) || cgroup.startsWith(appCgroup + "/");
    }

    private static DeniedAttempt event(DaemonStatus.RunningApp moved, String comm) {
        return new DeniedAttempt(
                0,
                Instant.now().toString(),
                (int) moved.pid(),
                comm,
                moved.uid(),
                moved.app(),
                null,
                DeniedAttempt.LEFT_CGROUP,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                "cgroup",
                moved.leftNotice(),
                DeniedAttempt.LEFT_CGROUP,
                0,
                null,
                null);
    }

    private static String comm(int pid) {
        try {
            return Files.readString(Path.of("/proc/" + pid + "/comm")).strip();
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public synchronized void close() {
        if (looker != null) {
            looker.shutdownNow();
        }
    }
}
