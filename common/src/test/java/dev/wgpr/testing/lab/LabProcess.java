package dev.wgpr.testing.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A long-running process the lab started inside a namespace (a server, a WireGuard device). The
 * lab stops it on close; {@link #stop()} ends it earlier. Its stdout and stderr go, merged, to
 * {@link #log()}.
 */
public final class LabProcess implements AutoCloseable {
    private static final Duration GRACE = Duration.ofSeconds(2);

    private final List<String> command;
    private final Process process;
    private final Path log;

    LabProcess(List<String> command, Process process, Path log) {
        this.command = List.copyOf(command);
        this.process = process;
        this.log = log;
    }

    public long pid() {
        return process.pid();
    }

    public List<String> command() {
        return command;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public Path log() {
        return log;
    }

    /** Everything the process has printed so far. */
    public String output() {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e.getMessage() + ")";
        }
    }

    /** Waits for the process to exit by itself (e.g. a one-off {@code iperf3 -s -1}). */
    public int waitFor(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new LabException(
                        "`" + String.join(" ", command) + "` still running after " + timeout + "; output: " + output());
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted while waiting for " + command, e);
        }
    }

    /** SIGTERM, then SIGKILL after a short grace; idempotent. */
    public void stop() {
        Processes.killTree(process.toHandle(), GRACE);
    }

    @Override
    public void close() {
        stop();
    }

    @Override
    public String toString() {
        return "pid " + pid() + " `" + String.join(" ", command) + "`";
    }
}
