package dev.wgpr.client.cli;

import dev.wgpr.client.control.UnixSocket;
import dev.wgpr.client.daemon.Daemon;
import dev.wgpr.client.daemon.Instance;
import dev.wgpr.client.daemon.LaunchHelper;
import dev.wgpr.client.lockdown.Lockdown;
import dev.wgpr.client.lockdown.LockdownPlan;
import dev.wgpr.client.lockdown.LockdownState;
import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import dev.wgpr.common.linux.OwnedFd;
import dev.wgpr.enforcement.bpf.BpfFilesystem;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(
        name = "daemon",
        hidden = true,
        mixinStandardHelpOptions = true,
        description = {
            "Internal: the privileged daemon of an instance, which `wg-pr up` starts when none runs.",
            "Without --foreground: start it detached, return once it answers. SIGTERM stops it in"
                    + " order: every tunnel down first.",
        })
final class DaemonCommand implements Callable<Integer> {
    @Option(names = "--foreground", description = "Run in this process (for systemd), until SIGTERM.")
    boolean foreground;

    @Option(names = "--new-session", hidden = true, description = "Leave the caller's session first.")
    boolean newSession;

    @Option(
            names = "--launch-group",
            paramLabel = "GROUP",
            description = "Who besides root may use `wg-pr run`: members of GROUP (default: wg-pr).")
    Optional<String> launchGroup;

    @Option(
            names = "--no-lockdown",
            description = "Do not lock the daemon down (no_new_privs, fewer capabilities, Landlock, limits).")
    boolean noLockdown;

    @Option(
            names = "--config-dir",
            paramLabel = "DIR",
            hidden = true,
            description = "A directory the locked-down daemon may read configs and key files from, besides"
                    + " /etc/wg-pr (repeatable; `up` names its config's directory).")
    List<Path> configDirectories = new ArrayList<>();

    @Option(names = "--locked-down", hidden = true, description = "Internal: the image exec'd locked down.")
    boolean lockedDown;

    @Option(names = "--launch-helper-fd", hidden = true, description = "Internal: the launch helper's socket.")
    Integer launchHelperFd;

    @Option(names = "--launch-helper-pid", hidden = true, description = "Internal: the launch helper's pid.")
    Integer launchHelperPid;

    @ParentCommand
    WgPrCommand root;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        Instance instance = root.instance();
        if (Libc.geteuid() != 0) {
            err.println("wg-pr daemon: must run as root");
            return WgPrCommand.EXIT_NOT_PERMITTED;
        }
        if (!foreground) {
            try {
                DaemonClient.ensureRunning(instance, launchGroup, configDirectories, !noLockdown);
                return 0;
            } catch (DaemonClient.DaemonException e) {
                err.println("wg-pr daemon: " + e.getMessage());
                return WgPrCommand.EXIT_FAILURE;
            }
        }
        if (newSession) {
            try {
                Libc.setsid();
            } catch (ErrnoException e) {
                // Already a session leader: nothing to leave.
            }
        }
        String group = launchGroup.orElse(Daemon.Options.defaults().launchGroup());
        Daemon.Options options = new Daemon.Options(group);
        Daemon daemon;
        try {
            if (!lockedDown) {
                // Before the lockdown, which forbids changing the mount table.
                BpfFilesystem.ensureMounted(instance.bpfPinDirectory().getParent());
            }
            if (!noLockdown && !lockedDown) {
                // Never returns: the locked-down image takes over this process (same pid).
                execLockedDown(instance);
            }
            if (lockedDown) {
                options = lockedDownOptions(instance, group);
            }
            daemon = Daemon.start(instance, options);
        } catch (IOException e) {
            err.println("wg-pr daemon: " + e.getMessage());
            return WgPrCommand.EXIT_FAILURE;
        }
        SystemdNotify systemd = SystemdNotify.from(System.getenv(), err);
        // SIGTERM, SIGINT and SIGHUP run the shutdown hooks: the orderly stop.
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            systemd.stopping("taking every tunnel down");
                            daemon.stop();
                        },
                        "daemon-stop"));
        err.println("wg-pr daemon: instance " + instance + " ready, pid "
                + ProcessHandle.current().pid());
        // Daemon.start returned: the control socket listens, so `wg-pr up` can connect from now on.
        systemd.ready("instance " + instance + ": control socket " + instance.controlSocket());
        try {
            daemon.awaitStopped();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    /**
     * Starts the launch helper (outside the confinement, for the apps of {@code wg-pr run}), then locks
     * this thread down and execs this daemon again with {@code --locked-down}; see {@link Lockdown}.
     */
    private void execLockedDown(Instance instance) throws IOException {
        LockdownPlan plan = Lockdown.plan(instance, configDirectories);
        LaunchHelper.Started helper = LaunchHelper.start(
                Path.of(System.getProperty("java.home"), "bin", "java"), System.getProperty("java.class.path"));
        List<String> args = new ArrayList<>(List.of(
                "--instance",
                instance.name(),
                "daemon",
                "--foreground",
                "--locked-down",
                "--launch-helper-fd",
                Integer.toString(helper.socket().fd()),
                "--launch-helper-pid",
                Integer.toString(helper.pid())));
        launchGroup.ifPresent(group -> args.addAll(List.of("--launch-group", group)));
        for (Path dir : configDirectories) {
            args.addAll(List.of("--config-dir", dir.toString()));
        }
        Lockdown.execLockedDown(
                plan,
                Lockdown.sameJvm(Main.class.getName(), lockedDownJvmOptions(), args),
                DaemonJvm.environment(System.getenv()),
                helper.socket().fd());
    }

    private static List<String> lockedDownJvmOptions() {
        List<String> options = new ArrayList<>(List.of("-XX:-UsePerfData", "-XX:+DisableAttachMechanism"));
        options.addAll(DaemonJvm.options(System.getenv()));
        return options;
    }

    /** In the locked-down image: the launch helper's socket, and the lockdown for {@code status}. */
    private Daemon.Options lockedDownOptions(Instance instance, String group) throws IOException {
        if (launchHelperFd == null) {
            throw new IOException("--locked-down needs --launch-helper-fd");
        }
        LockdownPlan plan = Lockdown.plan(instance, configDirectories);
        Lockdown.afterExec(plan);
        Integer helperPid = launchHelperPid;
        return new Daemon.Options(
                group, Optional.of(UnixSocket.adopt(new OwnedFd(launchHelperFd, "launch helper socket"))), () -> {
                    Map<String, Object> status;
                    try {
                        status = LockdownState.inspect(plan).toStatus();
                    } catch (ErrnoException e) {
                        status = new LinkedHashMap<>(Map.of("state", "unknown: " + e.getMessage()));
                    }
                    status.put(
                            "launchHelper",
                            "pid " + helperPid + ": starts the apps of wg-pr run outside the daemon's Landlock"
                                    + " domain; bounding set " + LaunchHelper.BOUNDING_SET);
                    return status;
                });
    }

    /** For {@code Optional.map}: closes a probe connection and keeps it present. */
    static UnixSocket closeQuietly(UnixSocket socket) {
        socket.close();
        return socket;
    }
}
