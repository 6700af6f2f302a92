package dev.wgpr.client.daemon;

import dev.wgpr.client.config.AppConfig;
import java.io.IOException;

/**
 * Makes what {@code wg-pr run} starts one of its app's executables before it runs a single
 * instruction, where the app's grants are bound to them ({@code children = "same-exec"}): the kernel
 * then grants the app's routes to processes running that program (or its interpreter) and to no other
 * process in the app's cgroup. Only a command that passed every check of the launch ({@link Launcher#verified}) is added.
 */
final class ExecutableBinding implements LaunchService {
    private final LaunchService launcher;
    private final Pieces.EnforcementLayer enforcement;

    ExecutableBinding(LaunchService launcher, Pieces.EnforcementLayer enforcement) {
        this.launcher = launcher;
        this.enforcement = enforcement;
    }

    @Override
    public LaunchedProcess launch(AppConfig app, Launcher.Verified command, Launcher.Placement place)
            throws LaunchRefusedException, IOException {
        if (app.children() == AppConfig.Children.SAME_EXEC) {
            String name = command.name();
            try {
                enforcement.allowExecutables(app.name(), AppExecutables.ofOpen(command.command(), name));
            } catch (AppExecutables.UnboundExecutableException e) {
                throw new LaunchRefusedException(
                        "app " + app.name() + " gives its grants only to its own program, and " + e.getMessage()
                                + "; or set children = \"any\" for it",
                        126);
            } catch (IOException e) {
                throw new LaunchRefusedException(
                        "app " + app.name() + ": cannot tell which program " + name + " is (" + e.getMessage()
                                + "), so it would not get the app's grants; not started",
                        126);
            }
        }
        return launcher.launch(app, command, place);
    }
}
