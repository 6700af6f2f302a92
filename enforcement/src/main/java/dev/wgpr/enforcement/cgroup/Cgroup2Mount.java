package dev.wgpr.enforcement.cgroup;

import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import dev.wgpr.common.linux.MountInfo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Where the cgroup v2 hierarchy is mounted, found in {@code /proc/self/mountinfo} (never assumed to be
 * {@code /sys/fs/cgroup}).
 *
 * @param path the cgroup2 mount point, e.g. {@code /sys/fs/cgroup} or {@code /sys/fs/cgroup/unified}
 * @param v1Hierarchies the cgroup v1 hierarchies mounted beside it (their options, e.g. {@code
 *     "cpu"}, {@code "name=systemd"}); empty on a pure unified system
 */
public record Cgroup2Mount(Path path, List<String> v1Hierarchies) {
    public Cgroup2Mount {
        v1Hierarchies = List.copyOf(v1Hierarchies);
    }

    /** The cgroup2 mount of this process's mount namespace, or empty when there is none. */
    public static Optional<Cgroup2Mount> find() throws IOException {
        return parse(Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8));
    }

    /**
     * The cgroup2 mount of this process's mount namespace; where there is none, as in a mount namespace
     * of {@code ip netns exec} (which mounts a fresh sysfs and nothing on it), mounts the hierarchy at
     * {@code /sys/fs/cgroup}: the same tree as everywhere else in this cgroup namespace, and a mount
     * only this namespace sees.
     */
    public static Cgroup2Mount findOrMount() throws IOException {
        Optional<Cgroup2Mount> found = find();
        if (found.isPresent()) {
            return found.get();
        }
        Path standard = Path.of("/sys/fs/cgroup");
        try {
            Libc.mount("cgroup2", standard.toString(), "cgroup2", 0, "");
        } catch (ErrnoException e) {
            throw new IOException(
                    "no cgroup2 mount here, and mounting one at " + standard + " failed: " + e.getMessage()
                            + " (under `ip netns exec`, mount it first: mount -t cgroup2 none /sys/fs/cgroup)",
                    e);
        }
        return find().orElseThrow(() -> new IOException("mounted cgroup2 at " + standard + ", yet mountinfo lacks it"));
    }

    /**
     * Parses mountinfo lines ({@code proc(5)}): {@code ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS
     * [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS}. With several cgroup2 mounts, {@code /sys/fs/cgroup}
     * wins, then the first one listed.
     */
    static Optional<Cgroup2Mount> parse(List<String> mountinfo) {
        List<Path> cgroup2 = new ArrayList<>();
        List<String> v1 = new ArrayList<>();
        for (MountInfo mount : MountInfo.parse(mountinfo)) {
            if (mount.fsType().equals("cgroup2")) {
                cgroup2.add(mount.mountPoint());
            } else if (mount.fsType().equals("cgroup")) {
                v1.add(v1Name(mount.superOptions()));
            }
        }
        Path standard = Path.of("/sys/fs/cgroup");
        return cgroup2.stream()
                .filter(standard::equals)
                .findFirst()
                .or(() -> cgroup2.stream().findFirst())
                .map(path -> new Cgroup2Mount(path, v1));
    }

    /** Whether cgroup v1 hierarchies are mounted too (systemd's "hybrid" layout). */
    public boolean hybrid() {
        return !v1Hierarchies.isEmpty();
    }

    /** E.g. "/sys/fs/cgroup/unified (hybrid layout: 9 cgroup v1 hierarchies mounted beside it)". */
    public String describe() {
        if (!hybrid()) {
            return path + " (unified hierarchy)";
        }
        return path + " (hybrid layout: " + v1Hierarchies.size() + " cgroup v1 hierarchies mounted beside it)";
    }

    /** The controller or name of a v1 hierarchy from its super options, e.g. "rw,cpu" → "cpu". */
    private static String v1Name(String superOptions) {
        List<String> names = new ArrayList<>();
        for (String option : superOptions.split(",")) {
            if (!option.equals("rw") && !option.equals("ro") && !option.contains("release_agent")) {
                names.add(option);
            }
        }
        return String.join("+", names);
    }
}
