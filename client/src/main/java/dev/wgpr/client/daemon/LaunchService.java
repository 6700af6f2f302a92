package dev.wgpr.client.daemon;

import dev.wgpr.client.config.AppConfig;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Who starts an app for {@code wg-pr run}: this process ({@link Launcher#launch}), or, when the
 * daemon is locked down, the launch helper ({@link LaunchHelper}), because every process a
 * Landlock-confined daemon starts would inherit its confinement.
 */
@FunctionalInterface
interface LaunchService {
    /** Starts {@code command}, verified for {@code app}, in {@code cgroup}: see {@link Launcher#launch}. */
    LaunchedProcess launch(AppConfig app, Launcher.Verified command, Path cgroup)
            throws LaunchRefusedException, IOException;
}
