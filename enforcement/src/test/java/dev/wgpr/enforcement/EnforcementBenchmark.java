package dev.wgpr.enforcement;

import dev.wgpr.common.linux.OwnedFd;
import dev.wgpr.enforcement.bpf.Bpf;
import dev.wgpr.enforcement.bpf.BpfLink;
import dev.wgpr.enforcement.bpf.BpfObject;
import dev.wgpr.enforcement.bpf.BpfProgram;
import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.RequiresRoot;
import dev.wgpr.testing.lab.NetnsLab;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * bench/enforcement: in-kernel cost per program run (BPF run-time statistics) on the external,
 * internal-allow and internal-deny paths at 10 to 100,000 prefixes, beside the no-op probe program in
 * the same run; and connect latency percentiles with no enforcement, external, internal-allow and
 * internal-deny, interleaved. Runs only with {@code -Dwgpr.bench=true}.
 */
@RequiresRoot
@RequiresNetns
@EnabledIfSystemProperty(named = "wgpr.bench", matches = "true")
class EnforcementBenchmark {
    static final AppId APP = AppId.of(1);
    static final int LISTEN_PORT = 7000;
    static final int RUNS = Integer.getInteger("wgpr.bench.runs", 20_000);
    static final int LATENCY_ROUNDS = Integer.getInteger("wgpr.bench.rounds", 40);
    static final int LATENCY_BATCH = 250;

    enum Path4 {
        EXTERNAL("192.0.2.50", 80),
        INTERNAL_ALLOW("10.20.1.1", 22),
        INTERNAL_DENY("10.20.1.1", 23);

        final String address;
        final int port;

        Path4(String address, int port) {
            this.address = address;
            this.port = port;
        }
    }

    static Policy policy(int prefixes) {
        Policy.Builder builder = EnforcementLab.basePolicy()
                .grant(APP, "10.20.0.0/16 tcp/22")
                .internal("127.0.0.0/8", 0)
                .exclude("127.0.0.2/32")
                .grant(APP, "127.0.0.0/8 tcp/" + LISTEN_PORT);
        int fillers = Math.max(0, prefixes - builder.build().internal().size());
        for (int i = 0; i < fillers; i++) {
            int host = 0x0a800000 + i * 7; // 10.128.0.0/9, spread
            String prefix = ((host >>> 24) & 255) + "." + ((host >>> 16) & 255) + "." + ((host >>> 8) & 255) + "."
                    + (host & 255) + "/32";
            builder.internal(prefix, 0).grant(APP, prefix + " tcp/443");
        }
        return builder.build();
    }

    @Test
    void printTheEnforcementCostTable() throws Exception {
        StringBuilder table = new StringBuilder();
        try (NetnsLab lab = NetnsLab.create();
                EnforcementLab world = EnforcementLab.create(lab, policy(10), true);
                OwnedFd stats = Bpf.enableRunTimeStats();
                BpfObject noop = BpfObject.openBundled("probe")) {
            noop.load();
            if (!stats.isOpen()) {
                throw new IllegalStateException("BPF run-time statistics are off");
            }
            BpfProgram noopProgram = noop.program("probe_connect4");
            BpfProgram enforce = world.enforcer.program(Hook.CONNECT4);
            Path appCgroup = world.enforcer.addApp("bench", APP);
            Path binary = compileHelper(lab.scratchDir());
            world.client.start("python3", "-c", LISTENER);
            world.client.awaitTcpListener(LISTEN_PORT, java.time.Duration.ofSeconds(10));
            BpfLink noopLink = noopProgram.attachCgroup(world.enforcer.instanceCgroup());
            try (Helper app = Helper.start(binary, world.client.name(), Optional.of(appCgroup));
                    Helper outside = Helper.start(binary, world.client.name(), Optional.empty())) {
                table.append(String.format(
                        "%nIn-kernel cost per connect4 run (ns, BPF run-time stats, %,d runs per cell)%n", RUNS));
                table.append(String.format(
                        "%-9s %11s %10s %10s %14s %14s%n",
                        "prefixes", "publish ms", "no-op", "external", "internal-allow", "internal-deny"));
                for (int n : java.util.Arrays.stream(System.getProperty("wgpr.bench.sizes", "10,1000,5000,100000")
                                .split(","))
                        .mapToInt(Integer::parseInt)
                        .toArray()) {
                    Policy policy = policy(n);
                    long t0 = System.nanoTime();
                    world.publish(policy);
                    long publishMs = (System.nanoTime() - t0) / 1_000_000;
                    Map<Path4, Double> cost = new EnumMap<>(Path4.class);
                    Bpf.RunStats noopBefore = Bpf.runStats(noopProgram.fd());
                    for (Path4 path : Path4.values()) {
                        app.nonBlocking(path.address, path.port, 2_000); // warm up
                        Bpf.RunStats before = Bpf.runStats(enforce.fd());
                        int eperm = app.nonBlocking(path.address, path.port, RUNS);
                        Bpf.RunStats after = Bpf.runStats(enforce.fd());
                        if ((eperm == RUNS) != (path == Path4.INTERNAL_DENY)) {
                            throw new AssertionError(path + ": " + eperm + " of " + RUNS + " denied");
                        }
                        cost.put(path, after.nsPerRunSince(before));
                    }
                    double noopCost = Bpf.runStats(noopProgram.fd()).nsPerRunSince(noopBefore);
                    table.append(String.format(
                            "%-9s %11d %10.1f %10.1f %14.1f %14.1f%n",
                            String.format("%,d", policy.internal().size()),
                            publishMs,
                            noopCost,
                            cost.get(Path4.EXTERNAL),
                            cost.get(Path4.INTERNAL_ALLOW),
                            cost.get(Path4.INTERNAL_DENY)));
                }

                world.publish(policy(1_000));
                noopLink.close(); // latency without the no-op program in the path
                String[] modes = {"no enforcement", "external", "internal-allow", "internal-deny"};
                List<List<Long>> latencies = new ArrayList<>();
                for (int i = 0; i < modes.length; i++) {
                    latencies.add(new ArrayList<>());
                }
                for (int round = 0; round < LATENCY_ROUNDS; round++) {
                    // The order rotates every round: a mode that always ran right after another
                    // (e.g. while the listener still drains the previous batch) would pay for it.
                    for (int k = 0; k < modes.length; k++) {
                        int mode = (round + k) % modes.length;
                        List<Long> batch = switch (mode) {
                            case 0 -> outside.blocking("127.0.0.1", LISTEN_PORT, LATENCY_BATCH);
                            case 1 -> app.blocking("127.0.0.2", LISTEN_PORT, LATENCY_BATCH);
                            case 2 -> app.blocking("127.0.0.1", LISTEN_PORT, LATENCY_BATCH);
                            default -> app.blocking("127.0.0.1", LISTEN_PORT + 1, LATENCY_BATCH);
                        };
                        latencies.get(mode).addAll(batch);
                    }
                }
                table.append(String.format(
                        "%nconnect() latency on loopback, 1,000 prefixes, %,d connects per mode, interleaved (us)%n",
                        LATENCY_ROUNDS * LATENCY_BATCH));
                table.append(String.format("%-16s %8s %8s %8s%n", "mode", "p50", "p90", "p99"));
                for (int i = 0; i < modes.length; i++) {
                    long[] sorted = latencies.get(i).stream()
                            .mapToLong(Long::longValue)
                            .sorted()
                            .toArray();
                    table.append(String.format(
                            "%-16s %8.2f %8.2f %8.2f%n", modes[i], pct(sorted, 50), pct(sorted, 90), pct(sorted, 99)));
                }
            }
        }
        System.out.println(table);
    }

    static double pct(long[] sorted, int p) {
        int index = Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1);
        return sorted[Math.max(0, index)] / 1000.0;
    }

    static final String LISTENER = "import socket\n"
            + "s = socket.socket()\n"
            + "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
            + "s.bind(('0.0.0.0', " + LISTEN_PORT + "))\n"
            + "s.listen(4096)\n"
            + "while True:\n"
            + "    c, _ = s.accept()\n"
            + "    c.close()\n";

    static Path compileHelper(Path scratch) throws IOException, InterruptedException {
        Path source = scratch.resolve("connbench.c");
        try (InputStream in = EnforcementBenchmark.class.getResourceAsStream("connbench.c")) {
            Files.write(source, in.readAllBytes());
        }
        Path binary = scratch.resolve("connbench");
        Process gcc = new ProcessBuilder("gcc", "-O2", "-o", binary.toString(), source.toString())
                .inheritIO()
                .start();
        if (gcc.waitFor() != 0) {
            throw new IOException("gcc failed on " + source);
        }
        return binary;
    }

    /** A connbench process in the lab namespace, optionally in a cgroup it joins first. */
    static final class Helper implements AutoCloseable {
        private final Process process;
        private final BufferedWriter in;
        private final BufferedReader out;

        private Helper(Process process) {
            this.process = process;
            this.in = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.US_ASCII));
            this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
        }

        static Helper start(Path binary, String netns, Optional<Path> cgroup) throws IOException {
            String join = cgroup.map(c -> "echo $$ > '" + c.resolve("cgroup.procs") + "' && ")
                    .orElse("");
            return new Helper(new ProcessBuilder(
                            "sh", "-c", join + "exec nsenter --net=/run/netns/" + netns + " '" + binary + "'")
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start());
        }

        private String[] run(String address, int port, int count, String mode) throws IOException {
            in.write(address + " " + port + " " + count + " " + mode + "\n");
            in.flush();
            String line = out.readLine();
            if (line == null) {
                throw new IOException("connbench died");
            }
            return line.strip().split(" ");
        }

        int nonBlocking(String address, int port, int count) throws IOException {
            return Integer.parseInt(run(address, port, count, "nb")[0].substring(1));
        }

        List<Long> blocking(String address, int port, int count) throws IOException {
            String[] words = run(address, port, count, "block");
            return Arrays.stream(words, 0, words.length - 1).map(Long::valueOf).toList();
        }

        @Override
        public void close() throws IOException {
            in.close();
            try {
                if (!process.waitFor(2, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
