package dev.wgpr.client.lockdown;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the locked-down daemon keeps: capabilities, the files it may touch (Landlock rules), and its
 * resource limits. Built by {@link Lockdown#plan}; the same plan gives the same confinement every
 * time, so {@code status} can show it after the exec that applied it.
 *
 * @param stateDirectory the one directory it may write ({@code /run/<instance>})
 * @param capabilities the capability numbers kept in the bounding, permitted and effective sets
 * @param rules what the daemon may do where; everything else on every file system is denied
 * @param openFiles {@code RLIMIT_NOFILE}, soft and hard
 * @param fileSize {@code RLIMIT_FSIZE} in bytes, soft and hard
 */
public record LockdownPlan(
        Path stateDirectory, Set<Integer> capabilities, List<Rule> rules, long openFiles, long fileSize) {
    public LockdownPlan {
        capabilities = Set.copyOf(new TreeSet<>(capabilities));
        rules = List.copyOf(rules);
    }

    /**
     * One Landlock rule: {@code access} ({@code LANDLOCK_ACCESS_FS_*} bits) beneath {@code path}.
     *
     * @param why what the daemon needs it for, shown by {@code status}
     */
    public record Rule(Path path, long access, String why) {}
}
