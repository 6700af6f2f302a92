package dev.wgpr.enforcement;

import dev.wgpr.common.linux.OwnedFd;
import dev.wgpr.enforcement.bpf.Bpf;
import dev.wgpr.enforcement.bpf.BpfLink;
import dev.wgpr.enforcement.bpf.BpfObject;
import dev.wgpr.enforcement.bpf.BpfProgram;
import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.RequiresRoot;
import dev.wgpr.testing.lab.NetnsLab;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * bench/enforcement, issue 18: the in-kernel cost of each mode's path beside the no-op programs, in one
 * run and one table. cgroup/connect4: an app to its grant (deny mode's internal-allow, the reference),
 * a process that is no app going around a bypass prefix with the steering in force, and an excluded app
 * going around, each twice: to a prefix inside a deny tunnel's /16 (the trie decides) and under a bypass
 * full tunnel (the internal hints decide); and a process that is no app to a deny prefix; each beside the
 * no-op {@code probe_connect4}. The non-app runs in a cgroup beside the instance's, as most processes do. cgroup/sock_create: what
 * {@code wgpr_sock_create} costs every socket() of the host, with the steering off (one map lookup) and
 * in force (the caller's app looked up; non-apps and excluded apps marked), beside the no-op {@code
 * probe_sock_create}. The rows are interleaved in rotating order over several rounds; each cell is the
 * median of its rounds. Runs only with {@code -Dwgpr.bench=true}.
 */
@RequiresRoot
@RequiresNetns
@EnabledIfSystemProperty(named = "wgpr.bench", matches = "true")
class ModesBenchmark {
    static final AppId APP = AppId.of(1);
    static final AppId EXCLUDED = AppId.excluded(1);
    static final int RUNS = Integer.getInteger("wgpr.bench.runs", 20_000);
    static final int ROUNDS = Integer.getInteger("wgpr.bench.modeRounds", 9);
    /** In the app's grant. */
    static final String GRANTED = "10.20.1.1";
    /**
     * In 10.20.128.0/17, a bypass prefix: non-apps and excluded apps go around the tunnel. It lies in the
     * deny prefix 10.20.0.0/16, so the hints cannot prove it and the trie decides.
     */
    static final String AROUND = "10.20.200.1";
    /** In 0.0.0.0/0, a bypass full tunnel's prefix, apart from any deny prefix: the hints decide. */
    static final String AROUND_FULL = "198.51.100.7";

    static Policy policy() {
        return EnforcementLab.basePolicy()
                .grant(APP, "10.20.0.0/16 tcp/22")
                .grant(APP, "10.20.0.0/16 udp/22")
                .bypass("10.20.128.0/17", 0)
                .bypass("0.0.0.0/0", 1)
                .build();
    }

    /**
     * The connect4 rows of one way to connect ({@code mode}): the app to its grant (the reference), going
     * around inside a deny /16 and around a full tunnel, for a non-app and an excluded app, and, with {@code
     * denied}, a non-app to a deny prefix.
     */
    private static List<Case> connectRows(String hook, String mode, boolean denied) {
        List<Case> rows = new ArrayList<>(List.of(
                new Case(hook, "deny: app to its grant (internal-allow)", "app", GRANTED, 22, mode, true, false),
                new Case(hook, "bypass: no app, in a deny /16, marked", "other", AROUND, 22, mode, true, false),
                new Case(hook, "excluded app around, in a deny /16", "excluded", AROUND, 22, mode, true, false),
                new Case(hook, "bypass: no app, full tunnel, marked", "other", AROUND_FULL, 22, mode, true, false),
                new Case(hook, "excluded app around a full tunnel", "excluded", AROUND_FULL, 22, mode, true, false)));
        if (denied) {
            rows.add(new Case(hook, "deny: no app to a deny prefix (denied)", "other", GRANTED, 22, mode, true, true));
        }
        return rows;
    }

    /** One row: who connects where, how, whether the steering is in force, and how many EPERMs are due. */
    record Case(
            String hook,
            String label,
            String helper,
            String address,
            int port,
            String mode,
            boolean steering,
            boolean denied) {}

    @Test
    void printTheModeCostTable() throws Exception {
        try (NetnsLab lab = NetnsLab.create();
                EnforcementLab world = EnforcementLab.create(lab, policy(), true);
                OwnedFd stats = Bpf.enableRunTimeStats();
                BpfObject noop = BpfObject.openBundled("probe")) {
            noop.load();
            if (!stats.isOpen()) {
                throw new IllegalStateException("BPF run-time statistics are off");
            }
            Enforcer enforcer = world.enforcer;
            Path appCgroup = enforcer.addApp("bench", APP);
            Path excludedCgroup = enforcer.addApp("benchx", EXCLUDED);
            // Beside the instance, as most processes of a machine are: not below any app cgroup.
            Path otherCgroup = world.benchParent().resolve("no-app");
            Files.createDirectories(otherCgroup);
            Path binary = CHelper.compile(lab.scratchDir(), "connbench");
            int mark = Enforcer.othersMarkOf("wg-pr-bench");
            Map<String, BpfProgram> noops = Map.of(
                    "connect4", noop.program("probe_connect4"), "sock_create", noop.program("probe_sock_create"));
            Map<String, BpfProgram> programs = Map.of(
                    "connect4", enforcer.program(Hook.CONNECT4), "sock_create", enforcer.program(Hook.SOCK_CREATE));
            List<Case> cases = new ArrayList<>();
            cases.addAll(connectRows("connect4", "nb", true));
            cases.addAll(connectRows("connect4 warm", "udp", false));
            cases.addAll(List.of(
                    new Case("sock_create", "app, steering off", "app", GRANTED, 0, "sock", false, false),
                    new Case("sock_create", "no app, steering off", "other", GRANTED, 0, "sock", false, false),
                    new Case(
                            "sock_create",
                            "app, steering in force (app-socket mark)",
                            "app",
                            GRANTED,
                            0,
                            "sock",
                            true,
                            false),
                    new Case(
                            "sock_create",
                            "no app, steering in force (marked)",
                            "other",
                            GRANTED,
                            0,
                            "sock",
                            true,
                            false),
                    new Case(
                            "sock_create",
                            "excluded app, steering in force (marked)",
                            "excluded",
                            GRANTED,
                            0,
                            "sock",
                            true,
                            false)));
            Map<Case, List<Double>> cost = new LinkedHashMap<>();
            Map<Case, List<Double>> noopCost = new LinkedHashMap<>();
            for (Case c : cases) {
                cost.put(c, new ArrayList<>());
                noopCost.put(c, new ArrayList<>());
            }
            List<BpfLink> links = new ArrayList<>();
            Optional<Integer> cpu = Optional.of(0);
            try (CHelper app = CHelper.start(binary, world.client.name(), Optional.of(appCgroup), cpu);
                    CHelper excluded = CHelper.start(binary, world.client.name(), Optional.of(excludedCgroup), cpu);
                    CHelper other = CHelper.start(binary, world.client.name(), Optional.of(otherCgroup), cpu)) {
                for (BpfProgram program : noops.values()) {
                    links.add(program.attachCgroup(world.benchParent()));
                }
                Map<String, CHelper> helpers = Map.of("app", app, "excluded", excluded, "other", other);
                for (int round = -1; round < ROUNDS; round++) { // round -1 warms up, not counted
                    for (int k = 0; k < cases.size(); k++) {
                        Case c = cases.get((Math.max(round, 0) + k) % cases.size());
                        enforcer.steer(c.steering() ? mark : 0, true);
                        CHelper helper = helpers.get(c.helper());
                        String hook = c.hook().startsWith("connect4") ? "connect4" : "sock_create";
                        EnforcementBenchmark.connects(helper, c.address(), c.port(), 2_000, c.mode());
                        Bpf.RunStats noopBefore = Bpf.runStats(noops.get(hook).fd());
                        Bpf.RunStats before = Bpf.runStats(programs.get(hook).fd());
                        int eperm = EnforcementBenchmark.connects(helper, c.address(), c.port(), RUNS, c.mode());
                        Bpf.RunStats after = Bpf.runStats(programs.get(hook).fd());
                        Bpf.RunStats noopAfter = Bpf.runStats(noops.get(hook).fd());
                        if (eperm != (c.denied() ? RUNS : 0)) {
                            throw new AssertionError(c + ": " + eperm + " of " + RUNS + " denied");
                        }
                        if (round >= 0) {
                            cost.get(c).add(after.nsPerRunSince(before));
                            noopCost.get(c).add(noopAfter.nsPerRunSince(noopBefore));
                        }
                    }
                }
                Map<Counter, Long> counters = enforcer.counters();
                if (counters.get(Counter.BYPASSED) == 0) {
                    throw new AssertionError("no connect went around: " + counters);
                }
            } finally {
                enforcer.steer(0, false);
                for (BpfLink link : links) {
                    link.close();
                }
            }
            System.out.println(table(cases, cost, noopCost));
        }
    }

    private static String table(List<Case> cases, Map<Case, List<Double>> cost, Map<Case, List<Double>> noopCost) {
        StringBuilder table = new StringBuilder(String.format(
                "%nHook cost of the modes (issue 18): ns per program run (BPF run-time stats), median of %d rounds of"
                        + " %,d runs, rows interleaved, beside the no-op program of the same hook in the same runs."
                        + " connect4: a non-blocking TCP connect and close between runs; connect4 warm: one UDP socket"
                        + " connect()ed in a loop; sock_create: socket() and close() of a UDP socket%n",
                ROUNDS, RUNS));
        String format = "%-14s %-44s %8s %8s %10s %12s%n";
        table.append(String.format(format, "hook", "path", "no-op", "wg-pr", "wg-pr-noop", "ratio"));
        Map<String, Double> reference = new LinkedHashMap<>();
        for (Case c : cases) {
            double ns = median(cost.get(c));
            double noop = median(noopCost.get(c));
            String ratio;
            if (c.hook().startsWith("connect4")) {
                reference.putIfAbsent(c.hook(), ns);
                ratio = String.format("%.2f x allow", ns / reference.get(c.hook()));
            } else {
                ratio = String.format("%.2f x no-op", ns / noop);
            }
            table.append(String.format(
                    "%-14s %-44s %8.1f %8.1f %10.1f %12s%n", c.hook(), c.label(), noop, ns, ns - noop, ratio));
        }
        return table.toString();
    }

    static double median(List<Double> values) {
        double[] sorted =
                values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return sorted.length % 2 == 1
                ? sorted[sorted.length / 2]
                : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
    }
}
