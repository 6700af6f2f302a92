package dev.wgpr.enforcement;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A benchmark helper written in C (a test resource), compiled into the lab's scratch directory and run
 * in the lab namespace, optionally in a cgroup it joins before exec. It answers one line per request
 * line; the benchmarks drive it with {@link #ask}.
 */
public final class CHelper implements AutoCloseable {
    private final String name;
    private final Process process;
    private final BufferedWriter in;
    private final BufferedReader out;

    private CHelper(String name, Process process) {
        this.name = name;
        this.process = process;
        this.in = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.US_ASCII));
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
    }

    /** Compiles test resource {@code <name>.c} with gcc -O2 into {@code scratch/<name>}. */
    public static Path compile(Path scratch, String name) throws IOException, InterruptedException {
        Path source = scratch.resolve(name + ".c");
        try (InputStream resource = CHelper.class.getResourceAsStream(name + ".c")) {
            if (resource == null) {
                throw new IOException("no test resource " + name + ".c");
            }
            Files.write(source, resource.readAllBytes());
        }
        Path binary = scratch.resolve(name);
        Process gcc = new ProcessBuilder("gcc", "-O2", "-o", binary.toString(), source.toString())
                .inheritIO()
                .start();
        if (gcc.waitFor() != 0) {
            throw new IOException("gcc failed on " + source);
        }
        return binary;
    }

    public static CHelper start(Path binary, String netns, Optional<Path> cgroup) throws IOException {
        return start(binary, netns, cgroup, Optional.empty());
    }

    /** As {@link #start(Path, String, Optional)}, pinned to CPU {@code cpu} if given (taskset). */
    public static CHelper start(Path binary, String netns, Optional<Path> cgroup, Optional<Integer> cpu)
            throws IOException {
        return start(binary, netns, cgroup, cpu, false);
    }

    /**
     * As {@link #start(Path, String, Optional, Optional)}; {@code realtime}: under {@code SCHED_FIFO}
     * (chrt), so that nothing of the normal scheduling class takes its CPU while it runs: a probe whose
     * own wait for a CPU must not count in what it measures.
     */
    public static CHelper start(
            Path binary, String netns, Optional<Path> cgroup, Optional<Integer> cpu, boolean realtime)
            throws IOException {
        String join = cgroup.map(c -> "echo $$ > '" + c.resolve("cgroup.procs") + "' && ")
                .orElse("");
        String pin = cpu.map(c -> "taskset -c " + c + " ").orElse("") + (realtime ? "chrt -f 1 " : "");
        return new CHelper(
                binary.getFileName().toString(),
                new ProcessBuilder(
                                "sh",
                                "-c",
                                join + "exec " + pin + "nsenter --net=/run/netns/" + netns + " '" + binary + "'")
                        .redirectError(ProcessBuilder.Redirect.INHERIT)
                        .start());
    }

    /** Sends one request line and returns the answer's words. */
    public String[] ask(String request) throws IOException {
        in.write(request + "\n");
        in.flush();
        return next(request);
    }

    /** The words of the next answer line to {@code request}, for requests answered by more than one line. */
    public String[] next(String request) throws IOException {
        String line = out.readLine();
        if (line == null) {
            throw new IOException(name + " died");
        }
        if (line.startsWith("X")) {
            throw new IOException(name + " refused \"" + request + "\": " + line);
        }
        return line.strip().split(" ");
    }

    @Override
    public void close() {
        stop(process, in);
    }

    /**
     * Stops a helper process the way every test helper ends: its standard input closed (so it ends by
     * itself), two seconds to exit, then killed (by its own handle).
     */
    public static void stop(Process process, Closeable stdin) {
        try {
            stdin.close();
        } catch (IOException e) {
            // gone already
        }
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
