import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * connbench (enforcement's test helper, enforcement/src/test/resources/dev/wgpr/enforcement/connbench.c)
 * as a child process that joins a cgroup before it execs, in our network namespace. Shared by the
 * single-file benchmarks in bench/ (NftCompare, TunnelCompare, AppScaling), which the source launcher
 * compiles together.
 */
final class ConnBench implements AutoCloseable {
    /** One batch: the latency of each blocking connect (ns) and how many connects failed with EPERM. */
    record Result(List<Long> latencies, int eperm) {}

    private final Process process;
    private final BufferedWriter in;
    private final BufferedReader out;

    private ConnBench(Process process) {
        this.process = process;
        this.in = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.US_ASCII));
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
    }

    static ConnBench start(Path binary, Path cgroup) throws IOException {
        return new ConnBench(inCgroup(cgroup, List.of(binary.toString()))
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start());
    }

    /** A command that joins {@code cgroup} (we are root) and then execs, so all of it runs there. */
    static ProcessBuilder inCgroup(Path cgroup, List<String> command) {
        List<String> argv = new ArrayList<>(List.of("sh", "-c",
                "echo $$ > \"$0\" && exec \"$@\"", cgroup.resolve("cgroup.procs").toString()));
        argv.addAll(command);
        return new ProcessBuilder(argv);
    }

    /** {@code count} connects to address:port; mode "block" (each timed) or "nb" (non-blocking, untimed). */
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

    /** The p-th percentile of sorted ns samples, in µs (nearest rank, as the enforcement benchmark). */
    static double pct(long[] sorted, int p) {
        int index = Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1);
        return sorted[Math.max(0, index)] / 1000.0;
    }

    static long[] sorted(List<Long> samples) {
        return samples.stream().mapToLong(Long::longValue).sorted().toArray();
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
