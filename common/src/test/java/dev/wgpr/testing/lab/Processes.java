package dev.wgpr.testing.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs host commands for the lab; every process here is one the lab started itself. */
final class Processes {
    private Processes() {}

    /**
     * Runs {@code command} to completion. Output goes to files rather than pipes, so a command that
     * leaves a background child holding its stdout open cannot make us wait forever.
     */
    static CommandResult run(List<String> command, Duration timeout, Path scratchDir) {
        return run(command, timeout, scratchDir, Path.of("/dev/null"));
    }

    static CommandResult run(List<String> command, Duration timeout, Path scratchDir, Path stdin) {
        long start = System.nanoTime();
        Path out = null;
        Path err = null;
        try {
            out = Files.createTempFile(scratchDir, "cmd-", ".out");
            err = Files.createTempFile(scratchDir, "cmd-", ".err");
            Process process = new ProcessBuilder(command)
                    .redirectInput(stdin.toFile())
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .start();
            boolean finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!finished) {
                killTree(process.toHandle(), Duration.ZERO);
                throw new LabException("`" + String.join(" ", command) + "` did not finish within " + timeout
                        + "; killed it. stdout so far: " + Files.readString(out).strip());
            }
            return new CommandResult(
                    command,
                    process.exitValue(),
                    Files.readString(out),
                    Files.readString(err),
                    Duration.ofNanos(System.nanoTime() - start));
        } catch (IOException e) {
            throw new LabException("cannot run `" + String.join(" ", command) + "`: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted while running `" + String.join(" ", command) + "`", e);
        } finally {
            deleteQuietly(out);
            deleteQuietly(err);
        }
    }

    /**
     * Ends {@code root} and the children it has spawned: SIGTERM first so daemons such as
     * wireguard-go can remove their sockets, SIGKILL for whatever is still alive after {@code grace}.
     */
    static void killTree(ProcessHandle root, Duration grace) {
        List<ProcessHandle> tree = java.util.stream.Stream.concat(root.descendants(), java.util.stream.Stream.of(root))
                .toList();
        if (!grace.isZero()) {
            tree.forEach(ProcessHandle::destroy);
            long deadline = System.nanoTime() + grace.toNanos();
            for (ProcessHandle p : tree) {
                long left = deadline - System.nanoTime();
                if (left > 0) {
                    p.onExit().completeOnTimeout(p, left, TimeUnit.NANOSECONDS).join();
                }
            }
        }
        for (ProcessHandle p : tree) {
            if (p.isAlive()) {
                p.destroyForcibly();
                p.onExit().completeOnTimeout(p, 5, TimeUnit.SECONDS).join();
            }
        }
    }

    static boolean onPath(String program) {
        String path = System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        for (String dir : path.split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }

    static void deleteQuietly(Path file) {
        if (file == null) {
            return;
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
