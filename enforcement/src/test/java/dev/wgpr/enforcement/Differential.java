package dev.wgpr.enforcement;

import dev.wgpr.enforcement.Prober.Probe;
import dev.wgpr.testing.lab.NetnsLab;
import java.io.IOException;
import java.net.Inet4Address;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The kernel against the reference model: random policies published one after another, random
 * attempts made by real processes (one long-lived prober per app cgroup and one nested in it, one that
 * is no app and one in a stray cgroup) through real connect()/sendto() calls; the kernel's verdict
 * (EPERM or not) must equal the model's every time. {@link DifferentialKernelTest} runs it at full
 * size, {@link DifferentialRun} at the size its caller asks (the VM tier, where everything is slower).
 */
final class Differential {
    static final int CHUNK = 1_000;

    record Mismatch(RandomCases.Case c, Decision model, int errno, Policy policy) {}

    /** What a run saw: cases tried, how many the model denied, the mismatches, and its seed. */
    record Outcome(int total, int denied, List<Mismatch> mismatches, long millis, long seed) {
        boolean bothVerdictsWellRepresented() {
            return denied > total / 10 && denied < total * 9 / 10;
        }

        String summary(int policies) {
            return String.format(
                    "differential: %,d cases (%,d denied by the model) over %d random policies in %,d ms, seed %d, %d mismatches",
                    total, denied, policies, millis, seed, mismatches.size());
        }
    }

    private Differential() {}

    static Outcome run(NetnsLab lab, int policies, int casesPerPolicy, long seed) throws Exception {
        RandomCases random = new RandomCases(seed);
        List<Mismatch> mismatches = new ArrayList<>();
        int total = 0;
        int denied = 0;
        long started = System.nanoTime();
        try (EnforcementLab world = EnforcementLab.create(lab, Policy.EMPTY);
                ExecutorService pool = Executors.newFixedThreadPool(RandomCases.APPS.size() + 2)) {
            Map<Optional<AppId>, List<Prober>> probers = new HashMap<>();
            for (AppId app : RandomCases.APPS) {
                Path cgroup = world.enforcer.addApp("app" + app.value(), app);
                Path nested = world.childCgroup(cgroup, "child");
                probers.put(
                        Optional.of(app),
                        List.of(
                                world.prober("app" + app.value(), Optional.of(cgroup)),
                                world.prober("app" + app.value() + "-child", Optional.of(nested))));
            }
            // Excluded apps and non-apps at the prefixes they go around are allowed only while a steering
            // mark is in force; the lab has no rule for it, so their marked sockets route as unmarked ones.
            world.enforcer.steer(Enforcer.othersMarkOf(world.enforcer.config().instance()), true);
            Path excluded = world.enforcer.addApp("excluded", RandomCases.EXCLUDED);
            probers.put(
                    Optional.of(RandomCases.EXCLUDED),
                    List.of(
                            world.prober("excluded", Optional.of(excluded)),
                            world.prober("excluded-child", Optional.of(world.childCgroup(excluded, "child")))));
            Path stray = world.childCgroup(world.enforcer.instanceCgroup(), "stray");
            probers.put(
                    Optional.empty(),
                    List.of(world.prober("nobody", Optional.empty()), world.prober("stray", Optional.of(stray))));

            for (int p = 0; p < policies; p++) {
                Policy policy = random.policy();
                world.publish(policy);
                Map<Prober, List<RandomCases.Case>> byProber = new HashMap<>();
                for (int i = 0; i < casesPerPolicy; i++) {
                    RandomCases.Case c = random.attempt(policy);
                    List<Prober> candidates = probers.get(c.app());
                    Prober prober = candidates.get(i % candidates.size());
                    byProber.computeIfAbsent(prober, k -> new ArrayList<>()).add(c);
                }
                List<Future<List<Mismatch>>> results = new ArrayList<>();
                for (Map.Entry<Prober, List<RandomCases.Case>> entry : byProber.entrySet()) {
                    results.add(pool.submit(() -> check(entry.getKey(), entry.getValue(), policy)));
                }
                for (Future<List<Mismatch>> result : results) {
                    mismatches.addAll(result.get());
                }
                for (RandomCases.Case c :
                        byProber.values().stream().flatMap(List::stream).toList()) {
                    total++;
                    if (!ReferenceModel.decide(policy, c.app(), c.destination(), c.protocol(), c.port())
                            .allowed()) {
                        denied++;
                    }
                }
                world.enforcer.drainEvents();
            }
        }
        return new Outcome(total, denied, mismatches, Prober.since(started).toMillis(), seed);
    }

    private static List<Mismatch> check(Prober prober, List<RandomCases.Case> cases, Policy policy) throws IOException {
        List<Mismatch> mismatches = new ArrayList<>();
        for (int from = 0; from < cases.size(); from += CHUNK) {
            List<RandomCases.Case> chunk = cases.subList(from, Math.min(cases.size(), from + CHUNK));
            List<Probe> probes = chunk.stream().map(Differential::probe).toList();
            int[] errnos = prober.run(probes);
            for (int i = 0; i < errnos.length; i++) {
                RandomCases.Case c = chunk.get(i);
                Decision model = ReferenceModel.decide(policy, c.app(), c.destination(), c.protocol(), c.port());
                boolean kernelAllowed = errnos[i] != Prober.EPERM;
                if (errnos[i] < 0 || kernelAllowed != model.allowed()) {
                    mismatches.add(new Mismatch(c, model, errnos[i], policy));
                }
            }
        }
        return mismatches;
    }

    static Probe probe(RandomCases.Case c) {
        boolean v4 = c.destination() instanceof Inet4Address;
        String address = c.destination().getHostAddress();
        if (v4 && c.mappedSocket()) {
            return new Probe(c.op(), 6, "::ffff:" + address, c.port());
        }
        return new Probe(c.op(), v4 ? 4 : 6, address, c.port());
    }
}
