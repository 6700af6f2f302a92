import dev.wgpr.enforcement.AppId;
import dev.wgpr.enforcement.Counter;
import dev.wgpr.enforcement.Enforcer;
import dev.wgpr.enforcement.Policy;
import java.io.IOException;
import java.net.NetworkInterface;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The measuring half of bench/tunnel-enforcement: everything through a real WireGuard tunnel
 * (wg-pr devices at both ends, which the script set up), with wg-pr's whole enforcement in force — the
 * cgroup sock_addr hooks and the backstop on the tunnel device's egress, as `wg-pr up` attaches them.
 *
 * <ol>
 *   <li>connect() latency through the tunnel, interleaved: no enforcement (a process outside the app,
 *       backstop detached) to an internal destination; external-miss (the app, to the server's
 *       underlay address: not internal, so not through the tunnel); internal-allow; internal-deny (a port the
 *       app is not granted: EPERM in the hook);
 *   <li>tunnel throughput with many parallel TCP flows (iperf3 -P), interleaved: no enforcement,
 *       nftables ({@link NftPolicy}, the same policy by `socket cgroupv2` and sets), wg-pr.
 * </ol>
 *
 * <p>Usage (as bench/tunnel-enforcement calls it, inside the client namespace): java -cp
 * client/target/wg-pr.jar bench/TunnelCompare.java CONNBENCH TUNNEL_IFACE ROUNDS BATCH SECONDS FLOWS PREFIXES
 * SAMPLES_DIR INSTANCE
 */
public class TunnelCompare {
    static final AppId APP = AppId.of(1);
    static final String INTERNAL = "10.20.1.1";
    // Not internal, so not through the tunnel: the backstop judges everything that enters the tunnel
    // by the sender's grants (internal = what the tunnel routes), so external traffic takes the underlay.
    static final String EXTERNAL = "10.99.0.2";
    static final int PORT = 7000;
    static final int IPERF_PORT = 5201;

    public static void main(String[] args) throws Exception {
        Locale.setDefault(Locale.ROOT);
        Path connbench = Path.of(args[0]);
        String iface = args[1];
        int rounds = Integer.parseInt(args[2]);
        int batch = Integer.parseInt(args[3]);
        int seconds = Integer.parseInt(args[4]);
        int flows = Integer.parseInt(args[5]);
        int prefixes = Integer.parseInt(args[6]);
        Path samplesDir = Path.of(args[7]);
        String instance = args[8];
        Files.createDirectories(samplesDir);

        List<String> fillers = NftPolicy.fillers(prefixes - 1);
        Policy.Builder builder = Policy.builder().internal("10.20.0.0/16", 0)
                .grant(APP, "10.20.0.0/16 tcp/" + PORT + "," + IPERF_PORT);
        for (String f : fillers) builder.internal(f, 0).grant(APP, f + " tcp/443");
        Policy policy = builder.build();
        int ifindex = NetworkInterface.getByName(iface).getIndex();

        Path outside = BenchEnforcer.outsideCgroup(instance, "nft");
        NftPolicy nft = NftPolicy.write(samplesDir.resolve("ruleset.nft"), BenchEnforcer.cgroup2(), outside,
                List.of(PORT, IPERF_PORT), fillers);
        Enforcer enforcer = null;
        List<ConnBench> helpers = new ArrayList<>();
        try {
            enforcer = BenchEnforcer.start(instance, policy);
            Path appCgroup = enforcer.addApp("bench", APP);
            ConnBench plain = ConnBench.start(connbench, outside);
            helpers.add(plain);
            ConnBench app = ConnBench.start(connbench, appCgroup);
            helpers.add(app);
            enforcer.attachTunnel(ifindex);

            // Each enforcement really enforces, through the tunnel.
            check(app.run(INTERNAL, PORT + 1, 20, "nb").eperm() == 20, "wg-pr did not deny the ungranted port");
            check(app.run(INTERNAL, PORT, 20, "block").eperm() == 0, "wg-pr denied the granted port");
            long passBefore = enforcer.counters().get(Counter.TUNNEL_PASS);
            check(app.run(EXTERNAL, PORT, 20, "block").eperm() == 0, "wg-pr denied the external destination");
            long dropsBefore = enforcer.counters().get(Counter.DENY_NO_APP);
            plain.run(INTERNAL, PORT, 20, "nb"); // not the app, outside the hooks: the backstop drops its SYNs (DENY_NO_APP)
            check(enforcer.counters().get(Counter.DENY_NO_APP) >= dropsBefore + 20,
                    "the backstop did not drop an unauthorized process's packets");
            enforcer.detachTunnel(ifindex);
            nft.load();
            plain.run(INTERNAL, PORT + 1, 20, "nb");
            check(NftPolicy.dropped() >= 20, "nftables did not deny the ungranted port");
            check(plain.run(INTERNAL, PORT, 20, "block").eperm() == 0, "nftables denied the granted port");
            nft.unload();

            latency(enforcer, ifindex, plain, app, rounds, batch, prefixes, samplesDir);
            throughput(enforcer, ifindex, nft, outside, appCgroup, rounds, seconds, flows, prefixes);
            long pass = enforcer.counters().get(Counter.TUNNEL_PASS) - passBefore;
            System.out.printf("backstop: %,d packets judged and passed on the tunnel's egress while measuring%n", pass);
            check(pass > 0, "the backstop judged no packet");
        } finally {
            for (ConnBench h : helpers) h.close();
            nft.unloadQuietly();
            BenchEnforcer.close(enforcer);
            Files.deleteIfExists(outside);
        }
    }

    static final String[] LATENCY_MODES = {"no enforcement", "external", "internal-allow", "internal-deny"};

    static void latency(Enforcer enforcer, int ifindex, ConnBench plain, ConnBench app, int rounds, int batch,
            int prefixes, Path samplesDir) throws Exception {
        List<List<Long>> lat = new ArrayList<>();
        for (String ignored : LATENCY_MODES) lat.add(new ArrayList<>());
        for (int round = 0; round < rounds; round++) {
            for (int k = 0; k < LATENCY_MODES.length; k++) {
                int mode = (round + k) % LATENCY_MODES.length; // rotate: no mode always runs first
                ConnBench.Result r = switch (mode) {
                    case 0 -> withoutBackstop(enforcer, ifindex, () -> plain.run(INTERNAL, PORT, batch, "block"));
                    case 1 -> app.run(EXTERNAL, PORT, batch, "block");
                    case 2 -> app.run(INTERNAL, PORT, batch, "block");
                    default -> app.run(INTERNAL, PORT + 1, batch, "block");
                };
                check((r.eperm() == batch) == (mode == 3), LATENCY_MODES[mode] + ": " + r.eperm() + " EPERM of " + batch);
                lat.get(mode).addAll(r.latencies());
            }
        }
        System.out.printf("%nconnect() latency through the tunnel (wg-pr devices), %,d prefixes, %d rounds x %,d"
                + " connects per mode, interleaved (us)%n", prefixes, rounds, batch);
        System.out.printf("%-16s %8s %8s %8s%n", "mode", "p50", "p90", "p99");
        for (int m = 0; m < LATENCY_MODES.length; m++) {
            long[] s = ConnBench.sorted(lat.get(m));
            System.out.printf("%-16s %8.2f %8.2f %8.2f%n", LATENCY_MODES[m], ConnBench.pct(s, 50),
                    ConnBench.pct(s, 90), ConnBench.pct(s, 99));
        }
        System.out.println();
        NftCompare.writeSamples(samplesDir, LATENCY_MODES, lat);
    }

    static final String[] THROUGHPUT_MODES = {"no enforcement", "nftables", "wg-pr"};

    static void throughput(Enforcer enforcer, int ifindex, NftPolicy nft, Path outside, Path appCgroup, int rounds,
            int seconds, int flows, int prefixes) throws Exception {
        List<List<Double>> gbits = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        enforcer.detachTunnel(ifindex);
        iperf(outside, 2, flows); // warm-up (the devices' JIT), not counted
        for (int round = 0; round < rounds; round++) {
            for (int k = 0; k < THROUGHPUT_MODES.length; k++) {
                int mode = (round + k) % THROUGHPUT_MODES.length;
                double g;
                if (mode == 0) {
                    g = iperf(outside, seconds, flows);
                } else if (mode == 1) {
                    nft.load();
                    try {
                        g = iperf(outside, seconds, flows);
                    } finally {
                        nft.unload();
                    }
                } else {
                    enforcer.attachTunnel(ifindex);
                    try {
                        g = iperf(appCgroup, seconds, flows);
                    } finally {
                        enforcer.detachTunnel(ifindex);
                    }
                }
                gbits.get(mode).add(g);
            }
        }
        enforcer.attachTunnel(ifindex);
        System.out.printf("Tunnel throughput with wg-pr enforcement against nftables against none: iperf3 TCP, %d"
                + " parallel flows, %,d prefixes, %d rounds x %d s per mode, interleaved (Gbit/s per round)%n",
                flows, prefixes, rounds, seconds);
        System.out.printf("%-16s %s%n", "mode", "rounds");
        for (int m = 0; m < THROUGHPUT_MODES.length; m++) {
            StringBuilder row = new StringBuilder(String.format("%-16s", THROUGHPUT_MODES[m]));
            for (double g : gbits.get(m)) row.append(String.format(" %6.3f", g));
            System.out.println(row);
        }
        System.out.println();
    }

    interface Batch {
        ConnBench.Result run() throws IOException;
    }

    /** The no-enforcement mode: the backstop would drop a process outside the app, so it goes for the batch. */
    static ConnBench.Result withoutBackstop(Enforcer enforcer, int ifindex, Batch batch) throws IOException {
        enforcer.detachTunnel(ifindex);
        try {
            return batch.run();
        } finally {
            enforcer.attachTunnel(ifindex);
        }
    }

    static final Pattern RECEIVED =
            Pattern.compile("\"sum_received\"\\s*:\\s*\\{[^}]*?\"bits_per_second\"\\s*:\\s*([0-9.eE+]+)");

    /** iperf3 from cgroup {@code cgroup} through the tunnel to the internal destination: Gbit/s received. */
    static double iperf(Path cgroup, int seconds, int flows) throws IOException, InterruptedException {
        Process p = ConnBench.inCgroup(cgroup, List.of("iperf3", "-c", INTERNAL, "-p", String.valueOf(IPERF_PORT),
                        "-t", String.valueOf(seconds), "-P", String.valueOf(flows), "-J"))
                .redirectErrorStream(true)
                .start();
        String json = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = p.waitFor();
        Matcher m = RECEIVED.matcher(json);
        if (rc != 0 || !m.find()) {
            throw new IOException("iperf3 failed (exit " + rc + "): " + json.substring(0, Math.min(json.length(), 600)));
        }
        return Double.parseDouble(m.group(1)) / 1e9;
    }

    static void check(boolean ok, String what) {
        NftPolicy.check(ok, what);
    }
}
