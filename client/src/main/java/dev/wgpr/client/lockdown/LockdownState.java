package dev.wgpr.client.lockdown;

import dev.wgpr.client.control.LockdownStatus;
import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The lockdown in force in this process, as the kernel reports it (not as planned): {@code
 * /proc/self/task/*}{@code /status} for every thread, {@code prctl}, {@code getrlimit}, and a probe
 * of the Landlock domain. For {@code status}.
 *
 * @param threads how many threads were looked at
 * @param allThreadsAlike whether every thread has the same no_new_privs and capability sets
 * @param noNewPrivs {@code NoNewPrivs} of every thread
 * @param effective {@code CapEff}
 * @param permitted {@code CapPrm}
 * @param inheritable {@code CapInh}
 * @param bounding {@code CapBnd}
 * @param ambient {@code CapAmb}
 * @param landlockAbi the kernel's Landlock ABI, when it has Landlock
 * @param landlockEnforced whether this process is in a Landlock domain (probed)
 * @param dumpable {@code PR_GET_DUMPABLE}
 * @param limits {@code RLIMIT_CORE}, {@code RLIMIT_FSIZE}, {@code RLIMIT_NOFILE}: soft and hard
 * @param plan what was applied
 */
public record LockdownState(
        int threads,
        boolean allThreadsAlike,
        boolean noNewPrivs,
        long effective,
        long permitted,
        long inheritable,
        long bounding,
        long ambient,
        Optional<Integer> landlockAbi,
        boolean landlockEnforced,
        boolean dumpable,
        Map<String, long[]> limits,
        LockdownPlan plan) {

    /** Reads the state of this process. */
    public static LockdownState inspect(LockdownPlan plan) throws ErrnoException {
        List<Map<String, String>> statuses = new ArrayList<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    statuses.add(fields(Files.readAllLines(task.resolve("status"))));
                } catch (IOException e) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/self/task", e);
        }
        Map<String, String> first = statuses.getFirst();
        List<String> keys = List.of("NoNewPrivs", "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb");
        boolean alike = statuses.stream()
                .allMatch(s -> keys.stream().allMatch(k -> first.get(k).equals(s.get(k))));
        Map<String, long[]> limits = new LinkedHashMap<>();
        limits.put("core", Libc.getrlimit(Libc.RLIMIT_CORE));
        limits.put("fsize", Libc.getrlimit(Libc.RLIMIT_FSIZE));
        limits.put("nofile", Libc.getrlimit(Libc.RLIMIT_NOFILE));
        return new LockdownState(
                statuses.size(),
                alike,
                "1".equals(first.get("NoNewPrivs")),
                hex(first.get("CapEff")),
                hex(first.get("CapPrm")),
                hex(first.get("CapInh")),
                hex(first.get("CapBnd")),
                hex(first.get("CapAmb")),
                Landlock.abi(),
                Landlock.enforcedHere(),
                Libc.prctl(Libc.PR_GET_DUMPABLE, 0, "prctl PR_GET_DUMPABLE") != 0,
                limits,
                plan);
    }

    /** Whether everything planned is in force. */
    public boolean complete() {
        return allThreadsAlike
                && noNewPrivs
                && effective == Capabilities.mask(plan.capabilities())
                && bounding == Capabilities.mask(plan.capabilities())
                && ambient == 0
                && landlockEnforced
                && !dumpable
                && limits.get("core")[1] == 0;
    }

    /** The {@code lockdown} section of {@code status}. */
    public LockdownStatus toStatus() {
        Map<String, String> rlimits = new LinkedHashMap<>();
        limits.forEach((name, limit) -> rlimits.put(name, limitText(limit[0]) + "/" + limitText(limit[1])));
        return new LockdownStatus(
                complete() ? "locked down" : "partly locked down: " + String.join("; ", gaps()),
                (long) threads,
                allThreadsAlike,
                noNewPrivs,
                new LockdownStatus.Capabilities(
                        Capabilities.names(effective),
                        Capabilities.names(permitted),
                        Capabilities.names(inheritable),
                        Capabilities.names(bounding),
                        Capabilities.names(ambient)),
                landlockStatus(),
                rlimits,
                dumpable,
                null);
    }

    private LockdownStatus.Landlock landlockStatus() {
        String state = landlockEnforced
                ? "enforced on every thread (applied before exec)"
                : "not enforced: " + Landlock.unavailableReason();
        if (landlockAbi.isEmpty()) {
            return new LockdownStatus.Landlock(null, state, null, null, null, null);
        }
        int abi = landlockAbi.get();
        List<String> rules = new ArrayList<>();
        for (LockdownPlan.Rule rule : plan.rules()) {
            if (Landlock.applies(rule) && Landlock.effectiveAccess(abi, rule) != 0) {
                rules.add(
                        rule.path() + ": " + String.join(",", Lockdown.accessNames(Landlock.effectiveAccess(abi, rule)))
                                + " (" + rule.why() + ")");
            }
        }
        return new LockdownStatus.Landlock(
                (long) abi,
                state,
                Lockdown.accessNames(Landlock.handledFs(abi)),
                Landlock.handledNet(abi) != 0
                        ? "denied (bind and connect) but on port " + Landlock.DNS_PORT + " (the DNS forwarder)"
                        : "not handled (ABI < 4)",
                Landlock.scoped(abi) != 0 ? "only within the domain" : "not scoped (ABI < 6)",
                rules);
    }

    private List<String> gaps() {
        List<String> gaps = new ArrayList<>();
        if (!allThreadsAlike) {
            gaps.add("threads differ");
        }
        if (!noNewPrivs) {
            gaps.add("no_new_privs not set");
        }
        if (effective != Capabilities.mask(plan.capabilities()) || bounding != Capabilities.mask(plan.capabilities())) {
            gaps.add("capabilities not as planned");
        }
        if (!landlockEnforced) {
            gaps.add("Landlock " + Landlock.unavailableReason());
        }
        if (dumpable) {
            gaps.add("dumpable");
        }
        if (limits.get("core")[1] != 0) {
            gaps.add("core dumps allowed");
        }
        return gaps;
    }

    private static String limitText(long value) {
        return value == Libc.RLIM_INFINITY ? "unlimited" : Long.toUnsignedString(value);
    }

    private static long hex(String value) {
        return value == null ? -1 : Long.parseUnsignedLong(value.strip(), 16);
    }

    private static Map<String, String> fields(List<String> lines) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : lines) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                fields.put(line.substring(0, colon), line.substring(colon + 1).strip());
            }
        }
        return fields;
    }
}
