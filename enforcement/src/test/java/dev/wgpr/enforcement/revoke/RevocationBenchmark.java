package dev.wgpr.enforcement.revoke;

import static dev.wgpr.enforcement.revoke.RevocationLab.ECHO_PORT;
import static dev.wgpr.enforcement.revoke.RevocationLab.SERVER_V4;
import static dev.wgpr.enforcement.revoke.RevocationLab.SINK_PORT;

import dev.wgpr.enforcement.AppId;
import dev.wgpr.enforcement.CHelper;
import dev.wgpr.enforcement.Policy;
import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.RequiresRoot;
import dev.wgpr.testing.lab.NetnsLab;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledIfSystemProperty;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * bench/revocation: the time from the policy switch to
 * the first denied connect of an app that is connecting in a loop, and the time to end N open
 * connections to a revoked destination (publish, then the revoker's sweep), with a check that the
 * app sees every one of them dead. Runs only with {@code -Dwgpr.bench=true}.
 */
@RequiresRoot
@RequiresNetns
@EnabledIfSystemProperty(named = "wgpr.bench", matches = "true")
@DisabledIfSystemProperty(named = "wgpr.bench.revocation", matches = "false") // bench/enforcement without it
class RevocationBenchmark {
    static final AppId APP = AppId.of(1);
    static final int SWITCH_TRIALS = Integer.getInteger("wgpr.bench.trials", 300);
    /** A gap between the last allowed and the first denied attempt up to this means the loop kept running. */
    static final long RUNNING_GAP_NS = 20_000;

    static final int DESTROY_TRIALS = Integer.getInteger("wgpr.bench.destroyTrials", 5);
    static final int[] OPEN = Arrays.stream(
                    System.getProperty("wgpr.bench.open", "100,1000").split(","))
            .mapToInt(Integer::parseInt)
            .toArray();

    static Policy granted() {
        return RevocationLab.basePolicy()
                .grant(APP, "10.20.0.0/16 udp/" + ECHO_PORT)
                .grant(APP, "10.20.0.0/16 tcp/" + SINK_PORT)
                .build();
    }

    static Policy revoked() {
        return RevocationLab.basePolicy().grant(APP, "10.20.2.0/24").build();
    }

    @Test
    void printTheRevocationTable() throws Exception {
        StringBuilder table = new StringBuilder();
        try (NetnsLab lab = NetnsLab.create();
                RevocationLab world = RevocationLab.create(lab, granted())) {
            Path app = world.addApp("bench", APP);
            Path binary = CHelper.compile(lab.scratchDir(), "revloop");
            try (Loop loop = Loop.start(binary, world.client.name(), app)) {
                long[] fromSwitch = new long[SWITCH_TRIALS];
                long[] fromReturn = new long[SWITCH_TRIALS];
                long[] fromCall = new long[SWITCH_TRIALS];
                long[] publish = new long[SWITCH_TRIALS];
                long[] gap = new long[SWITCH_TRIALS];
                long[] waited = new long[SWITCH_TRIALS];
                long[] fromSwitchRunning = new long[SWITCH_TRIALS];
                long[] fromSwitchUndisturbed = new long[SWITCH_TRIALS];
                int running = 0;
                int undisturbed = 0;
                long attempts = 0;
                for (int i = 0; i < SWITCH_TRIALS; i++) {
                    world.enforcer.publish(granted());
                    loop.begin(SERVER_V4, ECHO_PORT); // returns once the app's connects succeed
                    spin(ThreadLocalRandom.current().nextLong(50_000, 300_000)); // mid-loop
                    long waitedBefore = runDelayNanos();
                    long t0 = System.nanoTime(); // CLOCK_MONOTONIC, as the helper's clock
                    world.enforcer.publish(revoked());
                    long t1 = System.nanoTime();
                    waited[i] = runDelayNanos() - waitedBefore;
                    long[] denied = loop.end();
                    fromSwitch[i] = denied[0] - world.enforcer.lastSwitchNanos();
                    fromReturn[i] = denied[0] - t1;
                    fromCall[i] = denied[0] - t0;
                    publish[i] = t1 - t0;
                    gap[i] = denied[0] - denied[2];
                    if (gap[i] <= RUNNING_GAP_NS) {
                        fromSwitchRunning[running++] = fromSwitch[i];
                        if (waited[i] <= RUNNING_GAP_NS) {
                            fromSwitchUndisturbed[undisturbed++] = fromSwitch[i];
                        }
                    }
                    attempts += denied[1];
                }
                table.append(String.format(
                        "%nPolicy switch to the first denied connect (us), %d trials, app looping UDP connect()"
                                + " (%,d attempts) under SCHED_FIFO on the last CPU%n",
                        SWITCH_TRIALS, attempts));
                table.append(String.format("%-42s %9s %9s %9s %9s%n", "", "p50", "p90", "p99", "max"));
                row(table, "publish() duration (build, switch, RCU)", publish);
                row(table, "switch (map update) begins -> first EPERM", fromSwitch);
                row(table, "publish() call -> first EPERM", fromCall);
                row(table, "publish() return -> first EPERM", fromReturn);
                row(table, "last allowed attempt began -> first EPERM", gap);
                row(table, "publisher waiting for a CPU in publish()", waited);
                if (running > 0) {
                    row(table, "switch -> first EPERM, gap <= 20 us", Arrays.copyOf(fromSwitchRunning, running));
                }
                if (undisturbed > 0) {
                    row(table, "  and publisher waited <= 20 us", Arrays.copyOf(fromSwitchUndisturbed, undisturbed));
                }
                table.append(String.format(
                        "%n(gap: from the start of the last allowed attempt to the return of the first denied one; the"
                                + " switch lies in between, so with gap <= 20 us the figure is the switch's own, not the"
                                + " app's loop being off CPU. publisher waiting: run-queue delay of the publishing thread"
                                + " (/proc/thread-self/schedstat). %d of %d trials had gap <= 20 us, %d of them also"
                                + " publisher waiting <= 20 us)%n",
                        running, SWITCH_TRIALS, undisturbed));
            }

            table.append(String.format(
                    "%nEnding N open TCP connections to a revoked destination (ms), %d trials each, median [max]%n",
                    DESTROY_TRIALS));
            table.append(String.format(
                    "%-7s %14s %16s %14s %12s %10s%n",
                    "N", "publish", "revoke sweep", "total", "us/socket", "app: dead"));
            Holder holder = world.holder("bench", RevocationLab.in(app));
            for (int n : OPEN) {
                long[] publishNs = new long[DESTROY_TRIALS];
                long[] sweepNs = new long[DESTROY_TRIALS];
                long[] totalNs = new long[DESTROY_TRIALS];
                int deadMin = Integer.MAX_VALUE;
                for (int trial = 0; trial < DESTROY_TRIALS; trial++) {
                    world.enforcer.publish(granted());
                    int opened = holder.many(n, SERVER_V4, SINK_PORT);
                    if (opened != n) {
                        throw new AssertionError("opened " + opened + " of " + n + " connections");
                    }
                    Policy previous = world.enforcer.policy();
                    long t0 = System.nanoTime();
                    world.enforcer.publish(revoked());
                    long t1 = System.nanoTime();
                    RevocationReport report = world.revoker.revoke(previous, revoked(), world.apps());
                    long t2 = System.nanoTime();
                    if (report.destroyed().size() != n || !report.complete()) {
                        throw new AssertionError("expected " + n + " destroyed: " + report.summary());
                    }
                    int dead = holder.dead();
                    deadMin = Math.min(deadMin, dead);
                    holder.closeAll();
                    publishNs[trial] = t1 - t0;
                    sweepNs[trial] = t2 - t1;
                    totalNs[trial] = t2 - t0;
                }
                Arrays.sort(publishNs);
                Arrays.sort(sweepNs);
                Arrays.sort(totalNs);
                table.append(String.format(
                        "%-7s %14s %16s %14s %12.1f %10s%n",
                        String.format("%,d", n),
                        medianMax(publishNs),
                        medianMax(sweepNs),
                        medianMax(totalNs),
                        sweepNs[DESTROY_TRIALS / 2] / 1000.0 / n,
                        deadMin + "/" + n));
                if (deadMin != n) {
                    throw new AssertionError("the app saw only " + deadMin + " of " + n + " connections die");
                }
            }
        }
        System.out.println(table);
    }

    static void row(StringBuilder table, String label, long[] ns) {
        long[] sorted = ns.clone();
        Arrays.sort(sorted);
        table.append(String.format(
                "%-42s %9.1f %9.1f %9.1f %9.1f%n",
                label,
                pct(sorted, 50) / 1000.0,
                pct(sorted, 90) / 1000.0,
                pct(sorted, 99) / 1000.0,
                sorted[sorted.length - 1] / 1000.0));
    }

    static long pct(long[] sorted, int p) {
        int index = Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1);
        return sorted[Math.max(0, index)];
    }

    static String medianMax(long[] sortedNs) {
        return String.format("%.2f [%.2f]", sortedNs[sortedNs.length / 2] / 1e6, sortedNs[sortedNs.length - 1] / 1e6);
    }

    /** This thread's time spent runnable but waiting for a CPU (ns), from /proc/thread-self/schedstat. */
    static long runDelayNanos() throws IOException {
        return Long.parseLong(
                Files.readString(Path.of("/proc/thread-self/schedstat")).strip().split(" ")[1]);
    }

    static void spin(long nanos) {
        long until = System.nanoTime() + nanos;
        while (System.nanoTime() < until) {
            Thread.onSpinWait();
        }
    }

    /** The revloop helper in the lab namespace, in the app's cgroup from its first instruction. */
    static final class Loop implements AutoCloseable {
        private final CHelper revloop;

        private Loop(CHelper revloop) {
            this.revloop = revloop;
        }

        static Loop start(Path binary, String netns, Path cgroup) throws IOException {
            // On the last CPU under SCHED_FIFO: the loop keeps running through the switch, so the figure
            // is the enforcement's latency, not the probe's wait for a CPU on a shared machine.
            int cpu = Runtime.getRuntime().availableProcessors() - 1;
            return new Loop(CHelper.start(binary, netns, Optional.of(cgroup), Optional.of(cpu), true));
        }

        /** Starts the loop and waits until the app's connects are being allowed. */
        void begin(String address, int port) throws IOException {
            String[] ready = revloop.ask(address + " " + port);
            if (!ready[0].equals("R")) {
                throw new IOException("revloop did not start: " + String.join(" ", ready));
            }
        }

        /**
         * The monotonic time the first denied attempt returned, the number of attempts, and the
         * monotonic time the last allowed attempt began.
         */
        long[] end() throws IOException {
            String[] words = revloop.next("the loop's end");
            return new long[] {Long.parseLong(words[0]), Long.parseLong(words[1]), Long.parseLong(words[2])};
        }

        @Override
        public void close() {
            revloop.close();
        }
    }
}
