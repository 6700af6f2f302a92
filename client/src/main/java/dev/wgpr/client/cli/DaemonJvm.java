package dev.wgpr.client.cli;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The JVM options and environment of the long-running daemon, beyond what every wg-pr JVM gets: given to
 * the daemon `wg-pr up` starts on demand ({@link DaemonClient}) and to the locked-down image the daemon
 * execs of itself ({@link DaemonCommand}), so a daemon started by systemd through the plain launcher gets
 * them too. They keep its memory small (issue 6: measured side by side by {@code bench/daemon}).
 *
 * <p>{@value #VARIABLE}, when set, replaces the options (for measuring other choices side by side); a
 * {@value #MALLOC_ARENAS} already set is kept.
 */
final class DaemonJvm {
    static final String VARIABLE = "WG_PR_DAEMON_JVM_OPTIONS";
    static final String MALLOC_ARENAS = "MALLOC_ARENA_MAX";

    /**
     * A small heap (the daemon's live set is a few MiB; the JVM would otherwise size it from the machine's
     * RAM and let eden grow to tens of MiB before collecting); C2 alone, without the tiered C1 stage,
     * whose profiled code of every warm method (a daemon has many, run a few times each) doubled the code
     * cache and metaspace, while the packet path ends in C2 code either way; and glibc's free native memory
     * (compiler arenas, libbpf's BTF parse) given back every 5 s rather than kept resident.
     */
    static final List<String> DEFAULT =
            List.of("-Xms8m", "-Xmx64m", "-XX:-TieredCompilation", "-XX:TrimNativeHeapInterval=5000");

    /**
     * Two malloc arenas rather than glibc's 8 per CPU: each thread that mallocs (compiler, packet and
     * control threads) would otherwise take an arena of its own whose freed chunks stay resident.
     */
    static final String DEFAULT_MALLOC_ARENAS = "2";

    private DaemonJvm() {}

    static List<String> options(Map<String, String> environment) {
        String override = environment.get(VARIABLE);
        if (override == null) {
            return DEFAULT;
        }
        return Arrays.stream(override.strip().split("\\s+"))
                .filter(option -> !option.isEmpty())
                .toList();
    }

    /** The daemon's environment: {@code environment} with {@value #MALLOC_ARENAS} set when it was not. */
    static Map<String, String> environment(Map<String, String> environment) {
        Map<String, String> daemon = new HashMap<>(environment);
        daemon.putIfAbsent(MALLOC_ARENAS, DEFAULT_MALLOC_ARENAS);
        return daemon;
    }
}
