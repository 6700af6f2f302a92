package dev.wgpr.client.cli;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The JVM options of the long-running daemon, beyond those every wg-pr JVM gets: given to the daemon
 * `wg-pr up` starts on demand ({@link DaemonClient}) and to the locked-down image the daemon execs of
 * itself ({@link DaemonCommand}), so a daemon started by systemd through the plain launcher gets them
 * too. They keep its memory small (issue 6: measured by {@code bench/daemon}).
 *
 * <p>{@value #VARIABLE}, when set, replaces them (for measuring other choices side by side).
 */
final class DaemonJvm {
    static final String VARIABLE = "WG_PR_DAEMON_JVM_OPTIONS";

    /**
     * A small heap (the daemon's live set is a few MiB; the JVM would otherwise size it from the
     * machine's RAM and let eden grow to tens of MiB before collecting), and glibc's free native memory
     * (compiler arenas, libbpf's BTF parse) given back every 5 s rather than kept resident.
     */
    static final List<String> DEFAULT = List.of("-Xms8m", "-Xmx64m", "-XX:TrimNativeHeapInterval=5000");

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
}
