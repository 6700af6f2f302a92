package dev.wgpr.client.demo;

import dev.wgpr.common.Pace;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the lab's commands ({@code ip}, {@code wg}, {@code nsenter}, the wg-pr CLI) as child processes.
 * Output goes to a file, not a pipe: {@code wg-pr up} leaves a daemon behind that may keep inherited
 * descriptors, and a pipe would then never reach end of file.
 */
final class Shell {
    /** What one command did: its exit status and its stdout and stderr, interleaved as written. */
    record Result(List<String> command, int exit, String output) {
        boolean ok() {
            return exit == 0;
        }
    }

    private final Path scratch;
    private volatile boolean closed;
    private volatile Process current;

    Shell(Path scratch) {
        this.scratch = scratch;
    }

    /**
     * From now on no command starts: the lab is being removed (Ctrl-C), and the story's thread, which
     * runs on until the JVM halts, must not start anything that outlives the removal.
     */
    void close() {
        closed = true;
        Process running = current;
        if (running != null) {
            // Ours, by handle: e.g. a `wg-pr up` half way, which must not go on after the removal.
            running.destroy();
            try {
                if (!running.waitFor(5, TimeUnit.SECONDS)) {
                    running.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    boolean isClosed() {
        return closed;
    }

    /**
     * Runs {@code command} with a time limit ({@code timeoutSeconds} on an ordinary machine, longer on
     * a slow one: {@link Pace}); a command that overruns is killed and reported.
     */
    Result run(List<String> command, int timeoutSeconds) throws IOException, InterruptedException {
        long limit = Pace.scaled(Duration.ofSeconds(timeoutSeconds)).toSeconds();
        if (closed) {
            throw new DemoException("interrupted");
        }
        Files.createDirectories(scratch);
        Path output = Files.createTempFile(scratch, "output-", ".txt");
        try {
            Process process = new ProcessBuilder(command)
                    .directory(scratch.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(output.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
            current = process;
            if (!process.waitFor(limit, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor();
                return new Result(
                        command,
                        124,
                        Files.readString(output, StandardCharsets.UTF_8) + "(stopped after " + limit + " s)\n");
            }
            return new Result(command, process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
        } finally {
            current = null;
            Files.deleteIfExists(output);
        }
    }

    Result run(String... command) throws IOException, InterruptedException {
        return run(List.of(command), 30);
    }

    /** Runs a set-up step that must succeed, else the demo stops with what the command said. */
    String must(String... command) throws IOException, InterruptedException {
        Result result = run(command);
        if (!result.ok()) {
            throw new DemoException("'" + String.join(" ", command) + "' failed (exit " + result.exit() + "): "
                    + result.output().strip());
        }
        return result.output();
    }

    /** {@code nsenter --net=/run/netns/NS -- COMMAND}: only the network namespace changes. */
    static List<String> inNetns(String namespace, List<String> command) {
        List<String> full = new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + namespace, "--"));
        full.addAll(command);
        return full;
    }

    /** Why the demo could not go on. */
    static final class DemoException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        DemoException(String message) {
            super(message);
        }
    }
}
