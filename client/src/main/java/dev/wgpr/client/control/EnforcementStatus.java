package dev.wgpr.client.control;

import java.util.List;
import java.util.Map;

/**
 * The instance's shared enforcement: its programs, the policy in force and its counters. Only {@code state}
 * is set while no tunnel is up.
 *
 * @param state {@link #ACTIVE} or {@link #IDLE} (no tunnel is up)
 * @param counters the kernel's counters by name in camelCase ({@code denyNoApp}); null (and {@code countersUnreadable} says why) when they
 *     could not be read
 * @param eventsLogged the number of the latest deny event
 * @param borrowGuard the BPF LSM program that keeps other processes from taking over the apps' processes
 */
public record EnforcementStatus(
        String state,
        Long netnsCookie,
        String attachedAt,
        String pins,
        List<Program> programs,
        Long generation,
        Integer internalPrefixes,
        List<String> internal,
        List<String> exclusions,
        Map<String, App> apps,
        Map<String, Long> counters,
        String countersUnreadable,
        Long eventsLogged,
        Long eventsSuppressed,
        Map<String, Long> threadFailures,
        BorrowGuard borrowGuard) {
    public static final String ACTIVE = "active";
    public static final String IDLE = "idle";

    public static EnforcementStatus idle() {
        return new EnforcementStatus(
                IDLE, null, null, null, List.of(), null, null, List.of(), List.of(), Map.of(), null, null, null, null,
                Map.of(), null);
    }

    public boolean active() {
        return ACTIVE.equals(state);
    }

    /** A BPF program on its hook; {@code id} is null when the kernel would not say. */
    public record Program(String hook, String program, Integer id, boolean pinned) {}

    /**
     * An app's identity in the policy, its grants, and who gets them.
     *
     * @param executables the programs its grants are bound to ({@code major:minor/inode}); null when
     *     every process of its cgroup has them ({@code children = "any"})
     */
    public record App(int id, String cgroup, List<String> grants, List<String> executables) {
        public App {
            grants = List.copyOf(grants);
            executables = executables == null ? null : List.copyOf(executables);
        }
    }

    /**
     * The borrow guard: attached, with its program and counts (refusals, and passes of processes with
     * {@code CAP_SYS_PTRACE}), or why it is not ({@code why}).
     */
    public record BorrowGuard(boolean attached, Integer program, Long refused, Long privileged, String why) {}
}
