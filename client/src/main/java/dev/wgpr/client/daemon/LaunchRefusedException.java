package dev.wgpr.client.daemon;

/** {@code wg-pr run} will not start the command; the message says why, for the caller. */
final class LaunchRefusedException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Mirrors the shell: 127 for a command that is not found, 126 for one that may not run. */
    private final int exitStatus;

    LaunchRefusedException(String message, int exitStatus) {
        super(message);
        this.exitStatus = exitStatus;
    }

    int exitStatus() {
        return exitStatus;
    }
}
