package dev.wgpr.client.daemon;

/**
 * {@code wg-pr run} will not start the command (refused by the daemon, or not opened by {@code run}
 * itself); the message says why, for the caller.
 */
public final class LaunchRefusedException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Mirrors the shell: 127 for a command that is not found, 126 for one that may not run. */
    private final int exitStatus;

    public LaunchRefusedException(String message, int exitStatus) {
        super(message);
        this.exitStatus = exitStatus;
    }

    public int exitStatus() {
        return exitStatus;
    }
}
