import dev.wgpr.common.linux.OwnedFd;
import dev.wgpr.enforcement.AppId;
import dev.wgpr.enforcement.Enforcer;
import dev.wgpr.enforcement.Hook;
import dev.wgpr.enforcement.Policy;
import dev.wgpr.enforcement.bpf.Bpf;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The measuring half of bench/apps (1 to 1,000 apps): the same enforcement with 1, 10, 100
 * and 1,000 apps registered (each its own cgroup, its own grants and one filler prefix of its own), and
 * per size the in-kernel cost of a connect4 run (BPF run-time statistics) for the first app and the
 * newest one (the newest may have found its direct-mapped app slot taken) on the internal-allow and
 * internal-deny paths, and the connect() latency of the newest app on loopback, interleaved with a
 * process outside the instance (no enforcement).
 *
 * <p>Usage (as bench/apps calls it, inside its namespace, a listener on 127.0.0.1:7000): java -cp
 * client/target/wg-pr.jar bench/AppScaling.java CONNBENCH SIZES RUNS ROUNDS BATCH INSTANCE
 */
public class AppScaling {
    static final int PORT = 7000;

    /** n apps, each granted loopback's port 7000 (127.0.0.0/8 is internal here) and its own filler /32. */
    static Policy policy(int apps) {
        Policy.Builder b = Policy.builder().internal("127.0.0.0/8", 0);
        List<String> fillers = NftPolicy.fillers(apps);
        for (int k = 1; k <= apps; k++) {
            String filler = fillers.get(k - 1);
            b.grant(AppId.of(k), "127.0.0.0/8 tcp/" + PORT).internal(filler, 0).grant(AppId.of(k), filler + " tcp/443");
        }
        return b.build();
    }

    public static void main(String[] args) throws Exception {
        Locale.setDefault(Locale.ROOT);
        Path connbench = Path.of(args[0]);
        int[] sizes = Arrays.stream(args[1].split(",")).mapToInt(Integer::parseInt).toArray();
        int runs = Integer.parseInt(args[2]);
        int rounds = Integer.parseInt(args[3]);
        int batch = Integer.parseInt(args[4]);
        String instance = args[5];

        Path outside = BenchEnforcer.outsideCgroup(instance, "plain");
        Enforcer enforcer = null;
        List<ConnBench> helpers = new ArrayList<>();
        try (OwnedFd stats = Bpf.enableRunTimeStats()) {
            if (!stats.isOpen()) throw new IllegalStateException("BPF run-time statistics are off");
            enforcer = BenchEnforcer.start(instance, policy(1));
            int fd = enforcer.program(Hook.CONNECT4).fd();
            ConnBench plain = ConnBench.start(connbench, outside);
            helpers.add(plain);
            ConnBench first = ConnBench.start(connbench, enforcer.addApp("a1", AppId.of(1)));
            helpers.add(first);
            int registered = 1;
            System.out.printf("%nApps: in-kernel cost per connect4 run (ns, BPF run-time stats, %,d runs per cell) and"
                    + " connect() latency of the newest app on loopback (us, %d rounds x %,d connects, interleaved"
                    + " with no enforcement)%n", runs, rounds, batch);
            System.out.printf("%-6s %10s %12s %13s %12s %9s %10s %9s %10s%n", "apps", "publish ms", "allow first",
                    "allow newest", "deny newest", "none p50", "allow p50", "none p99", "allow p99");
            for (int n : sizes) {
                while (registered < n) {
                    registered++;
                    enforcer.addApp("a" + registered, AppId.of(registered));
                }
                long t0 = System.nanoTime();
                enforcer.publish(policy(n));
                long publishMs = (System.nanoTime() - t0) / 1_000_000;
                try (ConnBench newest = ConnBench.start(connbench,
                        enforcer.instanceCgroup().resolve("a" + n))) {
                    double allowFirst = cost(fd, first, PORT, runs, false);
                    double allowNewest = cost(fd, newest, PORT, runs, false);
                    double denyNewest = cost(fd, newest, PORT + 1, runs, true);
                    List<Long> none = new ArrayList<>(), allow = new ArrayList<>();
                    for (int round = 0; round < rounds; round++) {
                        boolean noneFirst = round % 2 == 0; // alternate which goes first
                        for (int k = 0; k < 2; k++) {
                            boolean isNone = (k == 0) == noneFirst;
                            ConnBench.Result r = (isNone ? plain : newest).run("127.0.0.1", PORT, batch, "block");
                            NftPolicy.check(r.eperm() == 0, "a granted connect was denied");
                            (isNone ? none : allow).addAll(r.latencies());
                        }
                    }
                    long[] a = ConnBench.sorted(allow), z = ConnBench.sorted(none);
                    System.out.printf("%-6s %10d %12.1f %13.1f %12.1f %9.2f %10.2f %9.2f %10.2f%n",
                            String.format("%,d", n), publishMs, allowFirst, allowNewest, denyNewest,
                            ConnBench.pct(z, 50), ConnBench.pct(a, 50), ConnBench.pct(z, 99), ConnBench.pct(a, 99));
                }
            }
            System.out.println();
        } finally {
            for (ConnBench h : helpers) h.close();
            BenchEnforcer.close(enforcer);
            Files.deleteIfExists(outside);
        }
    }

    /** ns per connect4 run over {@code runs} non-blocking connects (after a warm-up), checked for the verdict. */
    static double cost(int programFd, ConnBench h, int port, int runs, boolean denied) throws Exception {
        h.run("127.0.0.1", port, Math.max(100, runs / 10), "nb");
        Bpf.RunStats before = Bpf.runStats(programFd);
        int eperm = h.run("127.0.0.1", port, runs, "nb").eperm();
        Bpf.RunStats after = Bpf.runStats(programFd);
        NftPolicy.check((eperm == runs) == denied, "port " + port + ": " + eperm + " of " + runs + " denied");
        return after.nsPerRunSince(before);
    }
}
