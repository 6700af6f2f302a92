package dev.wgpr.client.daemon;

import dev.wgpr.client.config.TunnelConfig;
import dev.wgpr.client.control.UnixSocket;
import dev.wgpr.client.lockdown.Lockdown;
import dev.wgpr.client.lockdown.LockdownPlan;
import dev.wgpr.client.lockdown.LockdownState;
import dev.wgpr.common.linux.OwnedFd;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A locked-down daemon whose apps are registered without network pieces (as {@link
 * DaemonLauncherTest} does in-process), so {@code wg-pr run} can be tested through a locked-down
 * daemon while the device piece is not on this branch. Start-up is the production path of {@code wg-pr
 * daemon}: launch helper first, then {@link Lockdown#execLockedDown} into {@code stage2}, which starts
 * the {@link Daemon} with the helper and registers the apps of CONFIG.
 *
 * <p>{@code stage1 INSTANCE GROUP CONFIG} / {@code stage2 INSTANCE GROUP CONFIG FD}.
 */
public final class LockedDownLauncherDaemon {
    private LockedDownLauncherDaemon() {}

    public static void main(String[] args) throws Exception {
        Instance instance = new Instance(args[1]);
        Path config = Path.of(args[3]);
        LockdownPlan plan = Lockdown.plan(instance, List.of(config.getParent()));
        if (args[0].equals("stage1")) {
            LaunchHelper.Started helper = LaunchHelper.start(
                    Path.of(System.getProperty("java.home"), "bin", "java"), System.getProperty("java.class.path"));
            Lockdown.execLockedDown(
                    plan,
                    Lockdown.sameJvm(
                            LockedDownLauncherDaemon.class.getName(),
                            List.of("-XX:-UsePerfData"),
                            List.of(
                                    "stage2",
                                    args[1],
                                    args[2],
                                    args[3],
                                    Integer.toString(helper.socket().fd()))),
                    System.getenv(),
                    helper.socket().fd());
            return;
        }
        Lockdown.afterExec(plan);
        Daemon daemon = Daemon.start(
                instance,
                new Daemon.Options(
                        args[2],
                        List.of(),
                        Optional.of(UnixSocket.adopt(new OwnedFd(Integer.parseInt(args[4]), "launch helper"))),
                        () -> {
                            try {
                                return LockdownState.inspect(plan).toStatus();
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                        }));
        Runtime.getRuntime().addShutdownHook(new Thread(daemon::stop));
        daemon.tunnels().addWithoutNetwork(TunnelConfig.load(config).config());
        System.err.println("ready");
        daemon.awaitStopped();
    }
}
