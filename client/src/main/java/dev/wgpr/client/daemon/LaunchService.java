package dev.wgpr.client.daemon;

import dev.wgpr.client.config.AppConfig;
import dev.wgpr.client.control.PeerCredentials;
import dev.wgpr.common.linux.OwnedFd;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Who starts an app for {@code wg-pr run}: this process ({@link Launcher#launch}), or, when the
 * daemon is locked down, the launch helper ({@link LaunchHelper}), because every process a
 * Landlock-confined daemon starts would inherit its confinement.
 */
@FunctionalInterface
interface LaunchService {
    /** See {@link Launcher#launch}: {@code fds} are the caller's stdin, stdout, stderr and command. */
    LaunchedProcess launch(
            AppConfig app, Path cgroup, PeerCredentials caller, Launcher.Request request, List<OwnedFd> fds)
            throws LaunchRefusedException, IOException;
}
