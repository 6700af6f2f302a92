package dev.wgpr.client.control;

import java.util.List;
import java.util.Map;

/**
 * Everything {@code wg-pr status} shows, as the daemon makes it: the one tree the text, {@code --json} and
 * {@code doctor} render. Any user may ask; a caller other than root sees only its own running apps.
 *
 * @param schemaVersion the version of this tree's shape ({@link #SCHEMA}), for readers of {@code status --json}
 *     (docs/status.schema.json)
 * @param daemon null when no daemon runs (then no tunnel is up)
 */
public record DaemonStatus(
        int schemaVersion,
        String instance,
        Daemon daemon,
        List<TunnelStatus> tunnels,
        EnforcementStatus enforcement,
        List<RunningApp> running)
        implements Reply {
    /**
     * Raised when a field changes meaning or goes; new fields do not raise it. 2: {@code schema} became {@code
     * schemaVersion}, handshakes are instants or null, counters are keyed in camelCase, states are codes.
     */
    public static final int SCHEMA = 2;

    public DaemonStatus {
        tunnels = List.copyOf(tunnels);
        running = List.copyOf(running);
    }

    /** What {@code status} says when no daemon of {@code instance} runs. */
    public static DaemonStatus noDaemon(String instance) {
        return new DaemonStatus(SCHEMA, instance, null, List.of(), null, List.of());
    }

    /** The names of the tunnels whose device's backstop is {@code state} (tunnels without a device left out). */
    public List<String> tunnelsWithBackstop(String state) {
        return tunnels.stream()
                .filter(tunnel -> state.equals(tunnel.backstop()))
                .map(TunnelStatus::name)
                .toList();
    }

    /**
     * The daemon process.
     *
     * @param started when it started, an ISO-8601 instant
     * @param foundAtStart what a crashed daemon had left and this one found (and removed or kept)
     * @param heldStaleRoutes a crashed daemon's routes held until a tunnel replaces them
     * @param threadFailures what reached the root of a long-lived thread, by kind
     */
    public record Daemon(
            long pid,
            String started,
            String launchGroup,
            long netnsCookie,
            List<String> foundAtStart,
            List<String> heldStaleRoutes,
            LockdownStatus lockdown,
            ControlStatus control,
            Map<String, Long> threadFailures) {
        public Daemon {
            foundAtStart = List.copyOf(foundAtStart);
            heldStaleRoutes = List.copyOf(heldStaleRoutes);
            threadFailures = OrderedMaps.copy(threadFailures);
        }
    }

    /**
     * An app {@code wg-pr run} started that still runs.
     *
     * @param leftFor null while the process is in its app's cgroup; else the cgroup it was moved to (by
     *     {@code systemd-run --scope}, {@code flatpak run} or any other write to a {@code cgroup.procs}),
     *     where it has none of the app's grants
     */
    public record RunningApp(long pid, String app, String tunnel, long uid, String leftFor) {
        /** One still in its app's cgroup. */
        public RunningApp(long pid, String app, String tunnel, long uid) {
            this(pid, app, tunnel, uid, null);
        }

        /** What {@code status} and {@code events} say of an app that left its cgroup. */
        public String leftNotice() {
            return app + " (pid " + pid + ") left its app cgroup for " + leftFor
                    + "; it no longer has the app's grants; launch it with `wg-pr run --app " + app
                    + " -- COMMAND`, not inside systemd-run --scope or flatpak run (README: apps that move"
                    + " themselves)";
        }

        /** This app, in {@code cgroup} now (null: back in its own). */
        public RunningApp in(String cgroup) {
            return new RunningApp(pid, app, tunnel, uid, cgroup);
        }
    }
}
