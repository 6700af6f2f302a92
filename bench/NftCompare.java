import dev.wgpr.enforcement.AppId;
import dev.wgpr.enforcement.Enforcer;
import dev.wgpr.enforcement.Policy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The measuring half of bench/nftables ("the same policy expressed with nftables socket
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
 * <p>Usage (as bench/nftables calls it): java -cp client/target/wg-pr.jar bench/NftCompare.java CONNBENCH
 * SERVER PORT ROUNDS BATCH PREFIXES SAMPLES_DIR INSTANCE (the ruleset: {@link NftPolicy})
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
        List<String> fillers = NftPolicy.fillers(prefixes - 1);
        Policy.Builder builder = Policy.builder().internal("10.20.0.0/16", 0).grant(APP, "10.20.0.0/16 tcp/" + port);
        for (String f : fillers) builder.internal(f, 0).grant(APP, f + " tcp/443");
        Policy policy = builder.build();

        // The nftables app lives outside the instance (no eBPF); its path is what `socket cgroupv2` names.
        Path nftApp = BenchEnforcer.outsideCgroup(instance, "nft");
        NftPolicy nft = NftPolicy.write(samplesDir.resolve("ruleset.nft"), BenchEnforcer.cgroup2(), nftApp,
                List.of(port), fillers);
        Enforcer enforcer = null;
        List<ConnBench> helpers = new ArrayList<>();
        try {
            enforcer = BenchEnforcer.start(instance, policy);
            Path appCgroup = enforcer.addApp("bench", APP);
            ConnBench plain = ConnBench.start(connbench, nftApp);
            helpers.add(plain);
            ConnBench app = ConnBench.start(connbench, appCgroup);
            helpers.add(app);

            // Both enforcements must really enforce: the app's connect to a port it is not granted fails
            // with EPERM, and the granted one succeeds.
            nft.load();
            // nftables drops the SYN of a denied connect (no EPERM for TCP): its drop rule's counter shows
            // it. Non-blocking, so the dropped connects do not wait for TCP's timeout.
            plain.run(server, port + 1, 20, "nb");
            long dropped = NftPolicy.dropped();
            check(dropped >= 20, "nftables did not deny the ungranted port");
            check(plain.run(server, port, 20, "block").eperm() == 0 && NftPolicy.dropped() == dropped,
                    "nftables denied the granted port");
            nft.unload();
            check(app.run(server, port + 1, 20, "nb").eperm() == 20, "wg-pr did not deny the ungranted port");
            check(app.run(server, port, 20, "block").eperm() == 0, "wg-pr denied the granted port");
            check(plain.run(server, port + 1, 20, "nb").eperm() == 0, "no-enforcement process was denied");

            String[] modes = {"no enforcement", "nftables", "wg-pr"};
            List<List<Long>> lat = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
            long[] wallNs = new long[3];
            for (int round = 0; round < rounds; round++) {
                for (int k = 0; k < 3; k++) {
                    int mode = (round + k) % 3; // rotate the order so no mode always runs first
                    if (mode == 1) nft.load();
                    ConnBench h = mode == 2 ? app : plain;
                    h.run(server, port, 200, "nb"); // warm-up, not counted
                    long t0 = System.nanoTime();
                    ConnBench.Result r = h.run(server, port, batch, "block");
                    wallNs[mode] += System.nanoTime() - t0;
                    if (mode == 1) nft.unload();
                    check(r.eperm() == 0, modes[mode] + ": " + r.eperm() + " granted connects denied");
                    lat.get(mode).addAll(r.latencies());
                }
            }
            System.out.printf("%nTCP connect() to a granted internal destination over a veth, %,d internal prefixes,"
                    + " %d rounds x %,d connects per mode, interleaved%n", policy.internal().size(), rounds, batch);
            System.out.printf("%-16s %12s %8s %8s %8s%n", "mode", "connects/s", "p50", "p90", "p99");
            for (int m = 0; m < 3; m++) {
                long[] s = ConnBench.sorted(lat.get(m));
                System.out.printf("%-16s %12.0f %8.2f %8.2f %8.2f%n", modes[m],
                        s.length / (wallNs[m] / 1e9), ConnBench.pct(s, 50), ConnBench.pct(s, 90), ConnBench.pct(s, 99));
            }
            System.out.println();
            writeSamples(samplesDir, modes, lat);
        } finally {
            for (ConnBench h : helpers) h.close();
            nft.unloadQuietly();
            BenchEnforcer.close(enforcer);
            Files.deleteIfExists(nftApp);
        }
    }

    /** One file of ns samples per mode (the report draws the CDF from them), named in the output. */
    static void writeSamples(Path dir, String[] modes, List<List<Long>> lat) throws IOException {
        for (int m = 0; m < modes.length; m++) {
            Path f = dir.resolve(modes[m].replace(' ', '_') + ".txt");
            StringBuilder sb = new StringBuilder();
            for (long v : lat.get(m)) sb.append(v).append('\n');
            Files.writeString(f, sb);
            System.out.println("samples " + modes[m].replace(' ', '_') + " " + f.toAbsolutePath());
        }
    }

    static void check(boolean ok, String what) {
        NftPolicy.check(ok, what);
    }
}
