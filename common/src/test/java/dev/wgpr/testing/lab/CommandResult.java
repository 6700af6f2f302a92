package dev.wgpr.testing.lab;

import java.time.Duration;
import java.util.List;

/**
 * What a finished command left behind.
 *
 * @param command the full command line as run on the host (including any {@code ip netns exec})
 * @param exitCode the process's exit status
 */
public record CommandResult(List<String> command, int exitCode, String stdout, String stderr, Duration elapsed) {
    public CommandResult {
        command = List.copyOf(command);
    }

    public boolean succeeded() {
        return exitCode == 0;
    }

    /** This result, or a {@link LabException} carrying the command, status and both outputs. */
    public CommandResult requireSuccess() {
        if (!succeeded()) {
            throw new LabException(describe());
        }
        return this;
    }

    /** One readable paragraph for failure messages. */
    public String describe() {
        return "`" + String.join(" ", command) + "` exited " + exitCode + " after " + elapsed.toMillis() + " ms"
                + (stdout.isBlank() ? "" : "\nstdout: " + stdout.strip())
                + (stderr.isBlank() ? "" : "\nstderr: " + stderr.strip());
    }
}
