package dev.wgpr.testing.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

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
        List<ProcessHandle> tree =
                Stream.concat(root.descendants(), Stream.of(root)).toList();
        if (!grace.isZero()) {
            tree.forEach(ProcessHandle::destroy);
            awaitExit(tree, grace);
        }
        tree.stream().filter(Processes::running).forEach(ProcessHandle::destroyForcibly);
        awaitExit(tree, Duration.ofSeconds(5));
    }

    /**
     * Polls rather than using {@link ProcessHandle#onExit()}, whose wait for a process that is not
     * our child backs off to about a second.
     */
    private static void awaitExit(List<ProcessHandle> processes, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (processes.stream().anyMatch(Processes::running) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * Alive and not a zombie. A zombie has already dropped its namespaces and files; only its parent
     * can reap it, and for an orphan that parent is init, which may take its time.
     */
    static boolean running(ProcessHandle process) {
        if (!process.isAlive()) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException | RuntimeException e) {
            return false; // gone between the two looks
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
