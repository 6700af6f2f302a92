package dev.wgpr.client.daemon;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One wg-pr instance: the name every piece of state derives from, so that tests, labs and a user's
 * real tunnel never touch each other's daemon, sockets, cgroups or BPF pins.
 *
 * <ul>
 *   <li>runtime directory {@code /run/<name>/}: {@code control.sock}, {@code daemon.pid}, {@code
 *       daemon.lock}, {@code daemon.log};
 *   <li>BPF pin directory {@code /sys/fs/bpf/<name>/};
 *   <li>cgroup subtree {@code <cgroup2 mount>/<name>/}, one directory per app below it; under a systemd
 *       that delegates to the daemon's service, {@code <service cgroup>/<name>/} ({@link SystemdDelegation}).
 * </ul>
 *
 * @param name safe as one file and cgroup directory name: letters, digits, {@code . _ -}, not
 *     starting with a dot or dash, at most 64 characters
 */
public record Instance(String name) {
    public static final String DEFAULT_NAME = "wg-pr";
    public static final String ENVIRONMENT_VARIABLE = "WG_PR_INSTANCE";

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}");
    private static final Path RUN = Path.of("/run");
    private static final Path BPF_FS = Path.of("/sys/fs/bpf");

    public Instance {
        Objects.requireNonNull(name, "name");
        if (!isValidName(name)) {
            throw new IllegalArgumentException("bad instance name '" + name
                    + "': use 1 to 64 letters, digits, '.', '_' or '-', not starting with '.' or '-'");
        }
    }

    public static boolean isValidName(String name) {
        return NAME.matcher(name).matches();
    }

    /** The instance named by {@code option}, else by {@code WG_PR_INSTANCE}, else the default. */
    public static Instance choose(Optional<String> option) {
        return new Instance(chosenName(option));
    }

    /** The name {@link #choose} takes, valid or not. */
    public static String chosenName(Optional<String> option) {
        return option.or(() ->
                        Optional.ofNullable(System.getenv(ENVIRONMENT_VARIABLE)).filter(value -> !value.isEmpty()))
                .orElse(DEFAULT_NAME);
    }

    public Path runtimeDirectory() {
        return RUN.resolve(name);
    }

    public Path controlSocket() {
        return runtimeDirectory().resolve("control.sock");
    }

    public Path pidFile() {
        return runtimeDirectory().resolve("daemon.pid");
    }

    public Path lockFile() {
        return runtimeDirectory().resolve("daemon.lock");
    }

    /**
     * What the host resolver's backends keep to undo their changes, also after a crash: the original
     * {@code /etc/resolv.conf} while the file is managed, the resolvconf records made.
     */
    public Path resolverStateDirectory() {
        return runtimeDirectory().resolve("dns");
    }

    /** Where a daemon started by {@code wg-pr up} writes its output. */
    public Path logFile() {
        return runtimeDirectory().resolve("daemon.log");
    }

    public Path bpfPinDirectory() {
        return BPF_FS.resolve(name);
    }

    /** {@code <cgroup2>/<name>}: the parent of every app cgroup of this instance where systemd delegates none. */
    public Path cgroupSubtree(Path cgroup2Mount) {
        return cgroup2Mount.resolve(name);
    }

    @Override
    public String toString() {
        return name;
    }
}
