package dev.wgpr.client.daemon;

import dev.wgpr.common.linux.ErrnoException;

/**
 * A process started for {@code wg-pr run}: a child of this process ({@link ChildProcess}), or of the
 * launch helper when the daemon is locked down ({@link LaunchHelper}).
 */
interface LaunchedProcess {
    int pid();

    /** Blocks until the process ends (call from a platform thread). */
    Exit waitFor() throws ErrnoException;

    /** Sends {@code signal} to the process group; nothing once the process is gone. */
    void signal(int signal);

    /** How it ended: {@code exited} with a status, or killed by {@code signal}. */
    record Exit(boolean exited, int status, int signal) {}
}
