package dev.wgpr.client.daemon;

import dev.wgpr.common.linux.Libc;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;

/**
 * Where the daemon's app cgroups go on a host whose cgroup tree systemd manages. systemd owns the tree
 * except the subtrees it delegates: a service with {@code Delegate=yes} may make cgroups below its own,
 * and systemd marks that cgroup with the extended attribute {@code trusted.delegate=1} (systemd 251 and
 * later). A daemon that runs as such a service (wg-pr.service) makes its app cgroups there, not as
 * foreign siblings of system.slice at the root. systemd's no-internal-processes rule wants the
 * service's own processes in a leaf of their own, so the daemon first moves itself into {@code
 * <service>/daemon}; the instance's app cgroups are then {@code <service>/<instance>/<app>}, root's, mode
 * 0755, as at the root. Anywhere else (no systemd, a daemon {@code wg-pr up} started from a shell, a
 * service without delegation) the app cgroups stay at the cgroup2 root.
 *
 * <p>The enforcement still attaches at the cgroup2 root: it judges every process of the machine and
 * finds an app by the level of its instance cgroup, at any depth.
 */
public final class SystemdDelegation {
    /** The leaf the daemon moves itself into, beside the instance cgroup. */
    static final String DAEMON_LEAF = "daemon";

    private static final String DELEGATE_XATTR = "trusted.delegate";

    private SystemdDelegation() {}

    /**
     * Before the daemon forks anything: when this process runs in the cgroup of a service systemd delegated
     * to it, moves it into the service's {@value #DAEMON_LEAF} leaf and says so; otherwise changes nothing.
     * Needs {@code CAP_SYS_ADMIN} (to read the {@code trusted.} attribute), so it runs before the lockdown.
     */
    public static Optional<String> settle(Path cgroup2) throws IOException {
        Optional<String> own = ownCgroup(Files.readAllLines(Path.of("/proc/self/cgroup")));
        if (own.isEmpty() || !isServiceName(own.get())) {
            return Optional.empty();
        }
        Path service = inMount(cgroup2, own.get());
        if (!rootsOwn(service) || !delegated(service)) {
            return Optional.empty();
        }
        Path leaf = service.resolve(DAEMON_LEAF);
        if (!Files.isDirectory(leaf, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectory(leaf);
            Files.setPosixFilePermissions(leaf, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        Files.writeString(
                leaf.resolve("cgroup.procs"),
                Long.toString(ProcessHandle.current().pid()));
        return Optional.of("systemd delegated " + own.get() + " to this daemon: it runs in " + leaf
                + ", its app cgroups are made beside it");
    }

    /**
     * The cgroup the instance cgroup is made in: the delegated service's cgroup when {@link #settle} moved
     * this process into its leaf (and the service's cgroup is root's), else the cgroup2 root.
     */
    static Path appParent(Path cgroup2) throws IOException {
        Optional<String> own = ownCgroup(Files.readAllLines(Path.of("/proc/self/cgroup")));
        Optional<String> service = own.flatMap(SystemdDelegation::serviceOfLeaf);
        if (service.isPresent() && rootsOwn(inMount(cgroup2, service.get()))) {
            return inMount(cgroup2, service.get());
        }
        return cgroup2;
    }

    /** The cgroup v2 path of {@code /proc/<pid>/cgroup}'s lines (the {@code 0::} one), e.g. "/system.slice/x". */
    static Optional<String> ownCgroup(List<String> procCgroup) {
        return procCgroup.stream()
                .filter(line -> line.startsWith("0::"))
                .map(line -> line.substring(3))
                .findFirst();
    }

    /** "/system.slice/wg-pr.service/daemon" → "/system.slice/wg-pr.service"; anything else: empty. */
    static Optional<String> serviceOfLeaf(String cgroup) {
        int slash = cgroup.lastIndexOf('/');
        if (slash <= 0 || !cgroup.substring(slash + 1).equals(DAEMON_LEAF)) {
            return Optional.empty();
        }
        String service = cgroup.substring(0, slash);
        return isServiceName(service) ? Optional.of(service) : Optional.empty();
    }

    /** Whether the last component of a cgroup path names a systemd service. */
    static boolean isServiceName(String cgroup) {
        String last = cgroup.substring(cgroup.lastIndexOf('/') + 1);
        return last.endsWith(".service") && last.length() > ".service".length();
    }

    /** The directory of cgroup path {@code cgroup} ("/a/b") in the cgroup2 mount. */
    static Path inMount(Path cgroup2, String cgroup) {
        return cgroup2.resolve(cgroup.substring(1));
    }

    /** A user's own manager delegates to that user; only a subtree root owns is one the daemon may use. */
    private static boolean rootsOwn(Path dir) throws IOException {
        return Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
                && (int) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS) == 0;
    }

    private static boolean delegated(Path service) throws IOException {
        return Libc.getxattr(service.toString(), DELEGATE_XATTR, 16)
                .map(value -> new String(value, StandardCharsets.US_ASCII).startsWith("1"))
                .orElse(false);
    }
}
