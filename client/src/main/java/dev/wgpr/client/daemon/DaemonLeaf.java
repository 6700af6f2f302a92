package dev.wgpr.client.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Optional;

/**
 * The daemon's own cgroup leaf: the one cgroup only the daemon (and the launch helper it forks at
 * start) runs in, so that it can be given an identity of its own in the enforcement, the one through
 * which its DNS forwarder asks the tunnels' DNS servers. Under systemd with delegation that is
 * {@code <service>/daemon} ({@link SystemdDelegation}); anywhere else the daemon moves itself into
 * {@code <cgroup2>/<instance>.daemon}, root's, beside the instance cgroup. A cgroup cannot be removed
 * while its process is in it, and the locked-down daemon may not move itself out at its end, so that
 * leaf stays, empty, after the daemon: the next daemon of the instance takes it again, and whoever
 * removes the instance removes it (the demo's and the tests' clean-ups).
 */
public final class DaemonLeaf {
    static final String SUFFIX = ".daemon";

    private DaemonLeaf() {}

    /**
     * Before the daemon forks anything, after {@link SystemdDelegation#settle}: unless that put this
     * process in the service's leaf, moves it into {@code <cgroup2>/<instance>.daemon}. Returns the leaf.
     */
    public static Path settle(Path cgroup2, Instance instance) throws IOException {
        Optional<Path> current = current(cgroup2, instance);
        if (current.isPresent()) {
            return current.get();
        }
        Path leaf = nonSystemdLeaf(cgroup2, instance);
        if (!Files.isDirectory(leaf, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectory(leaf);
            Files.setPosixFilePermissions(leaf, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        Files.writeString(
                leaf.resolve("cgroup.procs"),
                Long.toString(ProcessHandle.current().pid()));
        return leaf;
    }

    /** The leaf this process runs in, if it runs in one of the daemon's (not, say, in a test's JVM). */
    static Optional<Path> current(Path cgroup2, Instance instance) throws IOException {
        Optional<String> own = SystemdDelegation.ownCgroup(Files.readAllLines(Path.of("/proc/self/cgroup")));
        if (own.isEmpty()) {
            return Optional.empty();
        }
        Path path = SystemdDelegation.inMount(cgroup2, own.get());
        boolean systemdLeaf = SystemdDelegation.serviceOfLeaf(own.get()).isPresent();
        return systemdLeaf || path.equals(nonSystemdLeaf(cgroup2, instance)) ? Optional.of(path) : Optional.empty();
    }

    /**
     * For whoever removes the instance once its daemon has stopped: removes its leaf outside systemd when
     * it is empty, waiting up to {@code patience} for that. The launch helper the daemon forked leaves a
     * moment after the daemon (it ends once it sees the daemon gone), which on a slow machine is after the
     * daemon's exit was seen. Returns whether the leaf is gone.
     */
    public static boolean removeOnceEmpty(Path cgroup2, Instance instance, Duration patience)
            throws IOException, InterruptedException {
        Path leaf = nonSystemdLeaf(cgroup2, instance);
        long deadline = System.nanoTime() + patience.toNanos();
        while (Files.isDirectory(leaf, LinkOption.NOFOLLOW_LINKS)) {
            if (Files.readString(leaf.resolve("cgroup.procs")).isBlank()) {
                Files.deleteIfExists(leaf);
                return true;
            }
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(50);
        }
        return true;
    }

    /** Where a daemon of {@code instance} outside a delegated systemd service runs (what clean-ups remove). */
    public static Path nonSystemdLeaf(Path cgroup2, Instance instance) {
        return cgroup2.resolve(instance.name() + SUFFIX);
    }
}
