import dev.wgpr.enforcement.AppId;
import dev.wgpr.enforcement.Enforcer;
import dev.wgpr.enforcement.NetnsCookie;
import dev.wgpr.enforcement.Policy;
import dev.wgpr.enforcement.cgroup.Cgroup2Mount;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The measuring half of bench/nftables (issue 7, "the same policy expressed with nftables socket
 * cgroupv2 matching and sets"). Runs inside the client namespace that bench/nftables made (so the
 * Enforcer judges that namespace's sockets only) and compares, interleaved in rounds, blocking TCP
 * connects of an app to an internal destination it is granted:
 *
 * <ul>
 *   <li>no enforcement: a process outside the wg-pr instance's cgroup, no nftables table loaded;
 *   <li>nftables: the same process, with a table that expresses the policy (internal prefixes as an
 *       interval set, the app's grants as an address . port set, the app by `socket cgroupv2`);
 *   <li>wg-pr: a process in the app's cgroup under the Enforcer, its eBPF hooks judging the connect.
 * </ul>
 *
 * <p>Usage (as bench/nftables calls it): java -cp client/target/lib/* bench/NftCompare.java CONNBENCH
 * SERVER PORT ROUNDS BATCH PREFIXES SAMPLES_DIR INSTANCE
 */
public class NftCompare {
    static final AppId APP = AppId.of(1);

    public static void main(String[] args) throws Exception {
        Locale.setDefault(Locale.ROOT);
        Path connbench = Path.of(args[0]);
        String server = args[1];
        int port = Integer.parseInt(args[2]);
        int rounds = Integer.parseInt(args[3]);
        int batch = Integer.parseInt(args[4]);
        int prefixes = Integer.parseInt(args[5]);
        Path samplesDir = Path.of(args[6]);
        Files.createDirectories(samplesDir);

        String instance = args[7];
        List<String> fillers = fillers(prefixes);
        Policy.Builder builder = Policy.builder().internal("10.20.0.0/16", 0).grant(APP, "10.20.0.0/16 tcp/" + port);
        for (String f : fillers) builder.internal(f, 0).grant(APP, f + " tcp/443");
        Policy policy = builder.build();

        // Attached at the instance cgroup, as the enforcement benchmark does: only processes inside
        // it run the programs, so the other modes pay nothing for them.
        long cookie = NetnsCookie.ofCurrentThread();
        // The cgroup2 mount (on hybrid hosts /sys/fs/cgroup/unified), found as the Enforcer's own callers do.
        Path cg2 = Cgroup2Mount.find().orElseThrow(() -> new IOException("no cgroup2 mount")).path();
        Enforcer.Config config = new Enforcer.Config(instance, cg2, cg2.resolve(instance), Path.of("/sys/fs/bpf"), cookie);
        // The nftables app lives outside the instance (no eBPF); its path is what `socket cgroupv2` names.
        Path nftParent = cg2.resolve(instance + "-nft");
        Path nftApp = nftParent.resolve("app");
        Files.createDirectories(nftApp);
        Path ruleset = samplesDir.resolve("ruleset.nft");
        // nft resolves the path below the fixed /sys/fs/cgroup to get the cgroup's id, while the kernel
        // compares that id with the socket's ancestor at `level` of the cgroup2 hierarchy; on a hybrid
        // host the two roots differ (cgroup2 in /sys/fs/cgroup/unified), so both are given separately.
        String nftPath = Path.of("/sys/fs/cgroup").relativize(nftApp).toString();
        int level = cg2.relativize(nftApp).getNameCount();
        Files.writeString(ruleset, ruleset(nftPath, level, port, fillers));
        Enforcer enforcer = null;
        List<Helper> helpers = new ArrayList<>();
        try {
            enforcer = Enforcer.start(config, policy);
            Path appCgroup = enforcer.addApp("bench", APP);
            Helper plain = Helper.start(connbench, nftApp);
            Helper app = Helper.start(connbench, appCgroup);
            helpers.add(plain);
            helpers.add(app);

            // Both enforcements must really enforce: the app's connect to a port it is not granted fails
            // with EPERM, and the granted one succeeds.
            nft("-f", ruleset.toString());
            // nftables drops the SYN of a denied connect (no EPERM for TCP): its drop rule's counter shows
            // it. Non-blocking, so the dropped connects do not wait for TCP's timeout.
            plain.run(server, port + 1, 20, "nb");
            long dropped = dropped();
            check(dropped >= 20, "nftables did not deny the ungranted port");
            check(plain.run(server, port, 20, "block").eperm() == 0 && dropped() == dropped,
                    "nftables denied the granted port");
            nft("delete", "table", "inet", "wgprbench");
            check(app.run(server, port + 1, 20, "nb").eperm() == 20, "wg-pr did not deny the ungranted port");
            check(app.run(server, port, 20, "block").eperm() == 0, "wg-pr denied the granted port");
            check(plain.run(server, port + 1, 20, "nb").eperm() == 0, "no-enforcement process was denied");

            String[] modes = {"no enforcement", "nftables", "wg-pr"};
            List<List<Long>> lat = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
            long[] wallNs = new long[3];
            for (int round = 0; round < rounds; round++) {
                for (int k = 0; k < 3; k++) {
                    int mode = (round + k) % 3; // rotate the order so no mode always runs first
                    if (mode == 1) nft("-f", ruleset.toString());
                    Helper h = mode == 2 ? app : plain;
                    h.run(server, port, 200, "nb"); // warm-up, not counted
                    long t0 = System.nanoTime();
                    Result r = h.run(server, port, batch, "block");
                    wallNs[mode] += System.nanoTime() - t0;
                    if (mode == 1) nft("delete", "table", "inet", "wgprbench");
                    check(r.eperm() == 0, modes[mode] + ": " + r.eperm() + " granted connects denied");
                    lat.get(mode).addAll(r.latencies());
                }
            }
            System.out.printf("%nTCP connect() to a granted internal destination over a veth, %,d internal prefixes,"
                    + " %d rounds x %,d connects per mode, interleaved%n", policy.internal().size(), rounds, batch);
            System.out.printf("%-16s %12s %8s %8s %8s%n", "mode", "connects/s", "p50", "p90", "p99");
            for (int m = 0; m < 3; m++) {
                long[] s = lat.get(m).stream().mapToLong(Long::longValue).sorted().toArray();
                System.out.printf("%-16s %12.0f %8.2f %8.2f %8.2f%n", modes[m],
                        s.length / (wallNs[m] / 1e9), pct(s, 50), pct(s, 90), pct(s, 99));
            }
            System.out.println();
            for (int m = 0; m < 3; m++) {
                Path f = samplesDir.resolve(modes[m].replace(' ', '_') + ".txt");
                StringBuilder sb = new StringBuilder();
                for (long v : lat.get(m)) sb.append(v).append('\n');
                Files.writeString(f, sb);
                System.out.println("samples " + modes[m].replace(' ', '_') + " " + f.toAbsolutePath());
            }
        } finally {
            for (Helper h : helpers) h.close();
            try {
                nft("delete", "table", "inet", "wgprbench");
            } catch (IOException ignored) {
                // not loaded: the usual case
            }
            if (enforcer != null) {
                // The app cgroups go first (rmdir needs them empty), then the enforcer removes itself.
                try (var walk = Files.walk(enforcer.instanceCgroup())) {
                    for (Path d : walk.filter(Files::isDirectory).filter(p -> !p.equals(cg2.resolve(instance)))
                            .sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                        Files.deleteIfExists(d);
                    }
                }
                enforcer.close();
            }
            Files.deleteIfExists(nftApp);
            Files.deleteIfExists(nftParent);
        }
    }

    /** Filler prefixes in 10.128.0.0/9, spread, as bench/enforcement makes them. */
    static List<String> fillers(int prefixes) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < Math.max(0, prefixes - 1); i++) {
            int host = 0x0a800000 + i * 7;
            out.add(((host >>> 24) & 255) + "." + ((host >>> 16) & 255) + "." + ((host >>> 8) & 255) + "."
                    + (host & 255) + "/32");
        }
        return out;
    }

    /**
     * The policy as nftables: traffic to anything outside the internal set passes; to an internal
     * destination, only the app's cgroup with a granted (address, port) passes; the rest is dropped
     * (a denied TCP connect() then waits for its SYN timeout: netfilter's EPERM reaches UDP senders only,
     * and a reset from the output hook does not end the connect either; wg-pr's hook fails it at once
     * with EPERM — only the allow path is timed here). Stateless on purpose: no conntrack,
     * so every packet of the app (not only the SYN) runs the set lookups — that is the cost of doing
     * this in netfilter rather than once per connect().
     */
    static String ruleset(String cgroupPath, int level, int port, List<String> fillers) {
        StringBuilder internal = new StringBuilder("10.20.0.0/16");
        StringBuilder grants = new StringBuilder("10.20.0.0/16 . " + port);
        for (String f : fillers) {
            internal.append(",\n      ").append(f);
            grants.append(",\n      ").append(f).append(" . 443");
        }
        return "table inet wgprbench {\n"
                + "  set internal {\n    type ipv4_addr\n    flags interval\n    elements = { " + internal + " }\n  }\n"
                + "  set app1 {\n    type ipv4_addr . inet_service\n    flags interval\n    elements = { " + grants
                + " }\n  }\n"
                + "  chain out {\n    type filter hook output priority 0; policy accept;\n"
                + "    ip daddr != @internal accept\n"
                + "    socket cgroupv2 level " + level + " \"" + cgroupPath + "\" ip daddr . tcp dport @app1 accept\n"
                + "    ip daddr @internal counter drop\n"
                + "  }\n}\n";
    }

    /** Packets the table's drop rule has dropped so far. */
    static long dropped() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("nft", "list", "chain", "inet", "wgprbench", "out").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        var m = java.util.regex.Pattern.compile("counter packets (\\d+).*drop").matcher(out);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    static void nft(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("nft"));
        cmd.addAll(Arrays.asList(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new IOException(String.join(" ", cmd) + ": " + out);
    }

    static void check(boolean ok, String what) {
        if (!ok) throw new AssertionError(what);
    }

    static double pct(long[] sorted, int p) {
        int index = Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1);
        return sorted[Math.max(0, index)] / 1000.0;
    }

    record Result(List<Long> latencies, int eperm) {}

    /** connbench (enforcement's test helper) in a cgroup it joins before exec; inherits our namespace. */
    record Helper(Process process, BufferedWriter in, BufferedReader out) implements AutoCloseable {
        static Helper start(Path binary, Path cgroup) throws IOException {
            Process p = new ProcessBuilder("sh", "-c",
                            "echo $$ > '" + cgroup.resolve("cgroup.procs") + "' && exec '" + binary + "'")
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            return new Helper(p,
                    new BufferedWriter(new OutputStreamWriter(p.getOutputStream(), StandardCharsets.US_ASCII)),
                    new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII)));
        }

        Result run(String address, int port, int count, String mode) throws IOException {
            in.write(address + " " + port + " " + count + " " + mode + "\n");
            in.flush();
            String line = out.readLine();
            if (line == null) throw new IOException("connbench died");
            String[] w = line.strip().split(" ");
            List<Long> lat = new ArrayList<>();
            for (int i = 0; i < w.length - 1; i++) lat.add(Long.parseLong(w[i]));
            return new Result(lat, Integer.parseInt(w[w.length - 1].substring(1)));
        }

        @Override
        public void close() {
            try {
                in.close();
            } catch (IOException ignored) {
                // already gone
            }
            process.destroy();
            try {
                process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
