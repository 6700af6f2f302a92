package dev.wgpr.enforcement;

import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.enforcement.policy.Protocol;
import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.RequiresRoot;
import dev.wgpr.testing.lab.NetnsLab;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * bench/enforcement, reloads: transient allows and transient denies over many connects
 * (default 10 million, {@code -Dwgpr.bench.reloadConnects}) while generations switch continuously.
 * Two reloadloop processes in the app's cgroup (one IPv4, one IPv6) alternate UDP connects to a
 * destination every generation allows and one every generation denies; the two generations differ
 * everywhere else (grants, exclusions, fillers), so a publish that ever exposed a half-built or mixed
 * policy would show up as a wrong verdict. {@link AtomicSwitchKernelTest} is the short version that
 * runs with the tests. Runs only with {@code -Dwgpr.bench=true}.
 */
@RequiresRoot
@RequiresNetns
@EnabledIfSystemProperty(named = "wgpr.bench", matches = "true")
class ReloadBenchmark {
    static final AppId APP = AppId.of(1);
    static final long CONNECTS = Long.getLong("wgpr.bench.reloadConnects", 10_000_000L);
    static final int ALLOWED_PORT = 53;
    static final int DENIED_PORT = 54;

    /**
     * The probed destinations of one address family (allowed to APP in both generations, denied in
     * both) and the share of the connects made to them: an IPv6 UDP connect costs about 4 times an
     * IPv4 one here (route lookup), so the two loops end at about the same time.
     */
    record Probes(String family, String allowed, String denied, double share) {}

    static final List<Probes> PROBES = List.of(
            new Probes("IPv4", "10.20.1.1", "10.20.2.1", 0.8), new Probes("IPv6", "fd10:20:1::1", "fd10:20:2::1", 0.2));

    /** Two generations that agree only on the probes' verdicts. */
    static Policy generation(boolean second) {
        Policy.Builder builder = EnforcementLab.basePolicy();
        if (second) {
            builder.grant(APP, "10.20.0.0/17 udp/53,80")
                    .grant(APP, "10.20.0.0/17 tcp/22")
                    .exclude("10.20.128.0/24")
                    .grant(APP, "fd10:20::/32 udp/53");
        } else {
            builder.grant(APP, "10.20.1.0/24 udp/53")
                    .grant(APP, "10.20.1.1/32 tcp/22")
                    .grant(APP, "fd10:20:1::/48 udp/53,55");
        }
        for (int i = 0; i < 500; i++) {
            String host = "10.30." + (i / 256 + (second ? 10 : 0)) + "." + (i % 256) + "/32";
            builder.internal(host, 0).grant(APP, host + " tcp/443");
        }
        return builder.build();
    }

    @Test
    void printTheReloadTable() throws Exception {
        List<Policy> generations = List.of(generation(false), generation(true));
        for (Policy policy : generations) {
            for (Probes probes : PROBES) {
                if (!decide(policy, probes.allowed(), ALLOWED_PORT) || decide(policy, probes.denied(), DENIED_PORT)) {
                    throw new AssertionError("the generations must agree on the probes: " + probes);
                }
            }
        }
        StringBuilder table = new StringBuilder();
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong switches = new AtomicLong();
        try (NetnsLab lab = NetnsLab.create();
                EnforcementLab world = EnforcementLab.create(lab, generations.get(0), true);
                ExecutorService pool = Executors.newFixedThreadPool(1 + PROBES.size())) {
            Path cgroup = world.enforcer.addApp("reload", APP);
            Path binary = CHelper.compile(lab.scratchDir(), "reloadloop");
            List<CHelper> loops = new ArrayList<>();
            try {
                for (int i = 0; i < PROBES.size(); i++) {
                    loops.add(CHelper.start(binary, world.client.name(), Optional.of(cgroup)));
                }
                Future<?> flipper = pool.submit(() -> {
                    for (int next = 1; running.get(); next ^= 1) {
                        world.publish(generations.get(next));
                        switches.incrementAndGet();
                    }
                    return null;
                });
                while (switches.get() < 2) {
                    Thread.sleep(1); // switching before the first connect
                }
                long switchesBefore = switches.get();
                long started = System.nanoTime();
                List<Future<String[]>> answers = new ArrayList<>();
                for (int i = 0; i < PROBES.size(); i++) {
                    Probes probes = PROBES.get(i);
                    CHelper loop = loops.get(i);
                    String request = probes.allowed() + " " + probes.denied() + " " + ALLOWED_PORT + " " + DENIED_PORT
                            + " " + 2 * Math.round(CONNECTS * probes.share() / 2);
                    answers.add(pool.submit(() -> loop.ask(request)));
                }
                List<String[]> results = new ArrayList<>();
                for (Future<String[]> answer : answers) {
                    results.add(answer.get());
                }
                double seconds = (System.nanoTime() - started) / 1e9;
                long during = switches.get() - switchesBefore;
                running.set(false);
                flipper.get();

                table.append(String.format(
                        "%nReloads: UDP connect()s of one app alternating between a destination every generation"
                                + " allows and one every generation denies,%nwhile generations (%,d and %,d trie"
                                + " entries) switch continuously: %,d switches in %.1f s (%.0f per second)%n",
                        PolicyCompiler.compile(generations.get(0)).size(),
                        PolicyCompiler.compile(generations.get(1)).size(),
                        during,
                        seconds,
                        during / seconds));
                table.append(String.format(
                        "%-8s %12s %12s %18s %18s %14s%n",
                        "family", "connects", "connects/s", "transient allows", "transient denies", "other errors"));
                long[] total = new long[4];
                for (int i = 0; i < PROBES.size(); i++) {
                    long[] counts = new long[4]; // attempts, transient denies, transient allows, other errors
                    for (int k = 0; k < counts.length; k++) {
                        counts[k] = Long.parseLong(results.get(i)[k]);
                        total[k] += counts[k];
                    }
                    row(table, PROBES.get(i).family(), counts, Long.parseLong(results.get(i)[4]) / 1e9);
                }
                row(table, "total", total, seconds);
            } finally {
                running.set(false);
                for (CHelper loop : loops) {
                    loop.close();
                }
            }
        }
        System.out.println(table);
    }

    private static void row(StringBuilder table, String label, long[] counts, double seconds) {
        table.append(String.format(
                "%-8s %12s %12.0f %18d %18d %14d%n",
                label, String.format("%,d", counts[0]), counts[0] / seconds, counts[2], counts[1], counts[3]));
    }

    private static boolean decide(Policy policy, String address, int port) {
        return ReferenceModel.decide(policy, Optional.of(APP), IpPrefix.parseAddress(address), Protocol.UDP, port)
                .allowed();
    }
}
