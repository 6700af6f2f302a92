package dev.wgpr.enforcement;

import dev.wgpr.common.linux.Libc;
import dev.wgpr.common.linux.OwnedFd;
import dev.wgpr.enforcement.bpf.Bpf;
import dev.wgpr.enforcement.bpf.BpfProgram;
import dev.wgpr.testing.lab.NetnsLab;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * What binding an app's grants to its executables costs: the connect4 program's run time on the
 * internal-allow path with the app's grants bound (one read of the caller's {@code mm->exe_file} and
 * one hash lookup more) beside the same grants unbound, measured alternately in one run, with the
 * kernel's BPF run-time statistics. Run by {@code bench/app-identity}.
 */
@EnabledIfSystemProperty(named = "wgpr.bench", matches = "true")
class ExecBindingBenchmark {
    private static final int ROUNDS = Integer.getInteger("wgpr.bench.rounds", 10);

    @Test
    void printTheCostOfBindingGrantsToTheAppsExecutable() throws Exception {
        try (NetnsLab lab = NetnsLab.create();
                EnforcementLab world = EnforcementLab.create(lab, EnforcementBenchmark.policy(10), true);
                OwnedFd stats = Bpf.enableRunTimeStats()) {
            if (!stats.isOpen()) {
                throw new IllegalStateException("BPF run-time statistics are off");
            }
            BpfProgram enforce = world.enforcer.program(Hook.CONNECT4);
            Path appCgroup = world.enforcer.addApp("bench", EnforcementBenchmark.APP);
            Path binary = CHelper.compile(lab.scratchDir(), "connbench");
            try (OwnedFd opened =
                    new OwnedFd(Libc.open(binary.toString(), Libc.O_RDONLY | Libc.O_CLOEXEC), "connbench")) {
                world.enforcer.allowExecutable(EnforcementBenchmark.APP, ExecutableId.ofOpen(opened.fd()));
            }
            Policy unbound = EnforcementBenchmark.policy(10);
            Policy bound = new Policy(
                    unbound.internal(),
                    unbound.exclusions(),
                    unbound.grants(),
                    unbound.allowForwarding(),
                    Set.of(EnforcementBenchmark.APP));
            double[] sums = new double[2];
            try (CHelper app = CHelper.start(binary, world.client.name(), Optional.of(appCgroup), Optional.of(0))) {
                EnforcementBenchmark.Path4 path = EnforcementBenchmark.Path4.INTERNAL_ALLOW;
                for (int round = -1; round < ROUNDS; round++) { // round -1 warms up
                    for (int mode = 0; mode < 2; mode++) {
                        int which = (round + mode) & 1; // alternate which goes first
                        world.publish(which == 0 ? unbound : bound);
                        EnforcementBenchmark.connects(app, path.address, path.port, 2_000, "udp");
                        Bpf.RunStats before = Bpf.runStats(enforce.fd());
                        int eperm = EnforcementBenchmark.connects(
                                app, path.address, path.port, EnforcementBenchmark.RUNS, "udp");
                        Bpf.RunStats after = Bpf.runStats(enforce.fd());
                        if (eperm != 0) {
                            throw new AssertionError(
                                    eperm + " connects denied with grants " + (which == 0 ? "unbound" : "bound"));
                        }
                        if (round >= 0) {
                            sums[which] += after.nsPerRunSince(before);
                        }
                    }
                }
            }
            double unboundNs = sums[0] / ROUNDS;
            double boundNs = sums[1] / ROUNDS;
            System.out.printf(
                    "%nconnect4 on the internal-allow path (ns per run, BPF run-time stats, %d rounds of %,d warm UDP"
                            + " connects, alternating)%n%-34s %10s%n%-34s %10.1f%n%-34s %10.1f%n%-34s %10.2f%n",
                    ROUNDS,
                    EnforcementBenchmark.RUNS,
                    "grants",
                    "ns/run",
                    "any process of the app's cgroup",
                    unboundNs,
                    "bound to the app's executable",
                    boundNs,
                    "ratio bound / unbound",
                    boundNs / unboundNs);
            System.out.println(
                    "No exec hook: exec costs what it costs without wg-pr (the check sits on the decision).");
        }
    }
}
