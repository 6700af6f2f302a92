package dev.wgpr.client.daemon;

import dev.wgpr.client.config.AppConfig;
import java.io.IOException;

/**
 * Who starts an app for {@code wg-pr run}: this process ({@link Launcher#launch}), or, when the
 * daemon is locked down, the launch helper ({@link LaunchHelper}), because every process a
 * Landlock-confined daemon starts would inherit its confinement.
 */
@FunctionalInterface
interface LaunchService {
    /** Starts {@code command}, verified for {@code app}, where {@code place} says: see {@link Launcher#launch}. */
    LaunchedProcess launch(AppConfig app, Launcher.Verified command, Launcher.Placement place)
            throws LaunchRefusedException, IOException;
}
