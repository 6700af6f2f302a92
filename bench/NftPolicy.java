import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * wg-pr's policy for one app expressed in nftables (`socket cgroupv2` + sets), table {@code inet
 * wgprbench}, for the single-file benchmarks in bench/ that compare the two (NftCompare, TunnelCompare).
 *
 * <p>Traffic to anything outside the internal set passes; to an internal destination, only the app's
 * cgroup with a granted (address, port) passes; the rest is dropped (a denied TCP connect() then waits
 * for its SYN timeout: netfilter's EPERM reaches UDP senders only, and a reset from the output hook does
 * not end the connect either; wg-pr's hook fails it at once with EPERM — only allowed traffic is timed).
 * Stateless on purpose: no conntrack, so every packet of the app (not only the SYN) runs the set lookups
 * — that is the cost of doing this in netfilter rather than once per connect().
 */
record NftPolicy(Path file) {
    /** Writes the ruleset for the app in cgroup {@code app} (granted tcp {@code ports} on 10.20.0.0/16). */
    static NftPolicy write(Path file, Path cgroup2, Path app, List<Integer> ports, List<String> fillers)
            throws IOException {
        // nft resolves the path below the fixed /sys/fs/cgroup to get the cgroup's id, while the kernel
        // compares that id with the socket's ancestor at `level` of the cgroup2 hierarchy; on a hybrid
        // host the two roots differ (cgroup2 in /sys/fs/cgroup/unified), so both are given separately.
        String path = Path.of("/sys/fs/cgroup").relativize(app).toString();
        int level = cgroup2.relativize(app).getNameCount();
        StringBuilder internal = new StringBuilder("10.20.0.0/16");
        StringBuilder grants = new StringBuilder(
                ports.stream().map(p -> "10.20.0.0/16 . " + p).collect(Collectors.joining(", ")));
        for (String f : fillers) {
            internal.append(",\n      ").append(f);
            grants.append(",\n      ").append(f).append(" . 443");
        }
        Files.writeString(file, "table inet wgprbench {\n"
                + "  set internal {\n    type ipv4_addr\n    flags interval\n    elements = { " + internal + " }\n  }\n"
                + "  set app1 {\n    type ipv4_addr . inet_service\n    flags interval\n    elements = { " + grants
                + " }\n  }\n"
                + "  chain out {\n    type filter hook output priority 0; policy accept;\n"
                + "    ip daddr != @internal accept\n"
                + "    socket cgroupv2 level " + level + " \"" + path + "\" ip daddr . tcp dport @app1 accept\n"
                + "    ip daddr @internal counter drop\n"
                + "  }\n}\n");
        return new NftPolicy(file);
    }

    void load() throws IOException, InterruptedException {
        nft("-f", file.toString());
    }

    void unload() throws IOException, InterruptedException {
        nft("delete", "table", "inet", "wgprbench");
    }

    /** Unloads when loaded; for cleanup paths. */
    void unloadQuietly() {
        try {
            unload();
        } catch (IOException | InterruptedException ignored) {
            // not loaded: the usual case
        }
    }

    /** Packets the table's drop rule has dropped so far. */
    static long dropped() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("nft", "list", "chain", "inet", "wgprbench", "out").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        var m = Pattern.compile("counter packets (\\d+).*drop").matcher(out);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    static void nft(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("nft"));
        cmd.addAll(Arrays.asList(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new IOException(String.join(" ", cmd) + ": " + out);
    }

    /** Filler prefixes in 10.128.0.0/9, spread, as bench/enforcement makes them. */
    static List<String> fillers(int count) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < Math.max(0, count); i++) {
            int host = 0x0a800000 + i * 7;
            out.add(((host >>> 24) & 255) + "." + ((host >>> 16) & 255) + "." + ((host >>> 8) & 255) + "."
                    + (host & 255) + "/32");
        }
        return out;
    }

    static void check(boolean ok, String what) {
        if (!ok) throw new AssertionError(what);
    }
}
