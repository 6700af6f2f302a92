package dev.wgpr.client.cli;

import dev.wgpr.client.control.ControlChannel;
import dev.wgpr.client.control.Reply;
import dev.wgpr.client.control.Request;
import dev.wgpr.client.daemon.Daemon;
import dev.wgpr.client.daemon.DaemonLeaf;
import dev.wgpr.client.daemon.DaemonLog;
import dev.wgpr.client.daemon.HandOver;
import dev.wgpr.client.daemon.Instance;
import dev.wgpr.client.daemon.LaunchHelper;
import dev.wgpr.client.daemon.SystemdDelegation;
import dev.wgpr.client.daemon.SystemdSocket;
import dev.wgpr.client.dns.HostResolver;
import dev.wgpr.client.lockdown.Lockdown;
import dev.wgpr.client.lockdown.LockdownPlan;
import dev.wgpr.common.Pace;
import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import dev.wgpr.enforcement.bpf.BpfFilesystem;
import dev.wgpr.enforcement.cgroup.Cgroup2Mount;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
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
                    + " order: every tunnel down first; so does `wg-pr daemon stop`.",
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

    @Option(
            names = "--manage-resolv-conf",
            hidden = true,
            description = "Let the locked-down daemon replace /etc/resolv.conf (`up` of a config with"
                    + " dnsResolver = \"file\" asks for it).")
    boolean manageResolvConf;

    @ParentCommand
    WgPrCommand root;

    @Spec
    CommandSpec spec;

    @Command(
            name = "stop",
            mixinStandardHelpOptions = true,
            description = "Stop the daemon of the instance in order (every tunnel down first); return once it has"
                    + " exited.")
    int stop(
            @Option(
                            names = "--hand-over",
                            description = "Exit at once as after a crash instead, for the next daemon to take"
                                    + " over: tunnels' enforcement, fail-closed routes and apps stay in force,"
                                    + " and the next daemon's up brings each tunnel back (what a package"
                                    + " upgrade asks of the daemon before it restarts wg-pr.service).")
                    boolean handOver) {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Instance instance = root.instance();
        if (Libc.geteuid() != 0) {
            err.println("wg-pr daemon stop: only root may stop the daemon");
            return WgPrCommand.EXIT_NOT_PERMITTED;
        }
        try {
            Optional<Reply.Pong> pong = DaemonClient.call(instance, new Request.Ping(), Reply.Pong.class);
            if (pong.isEmpty()) {
                out.println("no daemon of instance " + instance + " runs");
                return 0;
            }
            Optional<ProcessHandle> daemon = ProcessHandle.of(pong.get().pid());
            if (handOver) {
                HandOver.request(instance);
            }
            try {
                if (daemon.isPresent() && daemon.get().destroy()) { // SIGTERM: the orderly stop, or the hand-over
                    daemon.get().onExit().join();
                }
            } finally {
                HandOver.withdraw(instance);
            }
            out.println("the daemon of instance " + instance + " (pid "
                    + pong.get().pid() + ") has "
                    + (handOver ? "exited; its tunnels' enforcement stays in force for the next one" : "stopped"));
            return 0;
        } catch (DaemonClient.DaemonException e) {
            return e.report("daemon stop", err);
        } catch (IOException e) {
            err.println("wg-pr daemon stop: cannot ask for a hand-over: " + e.getMessage());
            return WgPrCommand.EXIT_FAILURE;
        }
    }

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
                DaemonClient.ensureRunning(instance, launchGroup, configDirectories, !noLockdown, manageResolvConf);
                return 0;
            } catch (DaemonClient.DaemonException e) {
                err.println("wg-pr daemon: " + e.getMessage());
                return WgPrCommand.EXIT_FAILURE;
            }
        }
        // First, before the slow part of a start: systemd gives a slow machine the time it needs.
        SystemdNotify.from(System.getenv(), err).startTakesPacedTime();
        if (newSession) {
            try {
                Libc.setsid();
            } catch (ErrnoException e) {
                // Already a session leader: nothing to leave.
            }
        }
        try {
            DaemonLog.install(System.getenv());
            // Mounts before the lockdown, which forbids changing the mount table.
            BpfFilesystem.ensureMounted(instance.bpfPinDirectory().getParent());
            Cgroup2Mount cgroup2 = Cgroup2Mount.findOrMount();
            // Before the launch helper is forked (it stays where it starts) and the lockdown.
            SystemdDelegation.settle(cgroup2.path()).ifPresent(line -> err.println("wg-pr daemon: " + line));
            DaemonLeaf.settle(cgroup2.path(), instance);
            if (!noLockdown) {
                // Never returns: the locked-down image takes over this process (same pid).
                execLockedDown(instance);
            }
        } catch (IOException e) {
            err.println("wg-pr daemon: " + e.getMessage());
            return WgPrCommand.EXIT_FAILURE;
        }
        return DaemonService.serve(
                instance,
                new Daemon.Options(launchGroup.orElse(Daemon.Options.defaults().launchGroup()), configDirectories)
                        .withStatusText(StatusCommand::text),
                err,
                () -> {}, // no class-data archive outside the lockdown
                () -> {});
    }

    /**
     * Starts the launch helper (outside the confinement, for the apps of {@code wg-pr run}), then locks
     * this thread down and execs the daemon again as {@link LockedDownDaemon}; see {@link Lockdown}.
     */
    private void execLockedDown(Instance instance) throws IOException {
        Optional<Path> archive = DaemonJvm.archive(System.getenv());
        if (archive.isPresent() && !DaemonJvm.prepareArchiveDirectory(archive.get())) {
            spec.commandLine()
                    .getErr()
                    .println("wg-pr daemon: no class-data archive: "
                            + archive.get().getParent()
                            + " is not root's alone (whoever may write it could run code in the daemon)");
            archive = Optional.empty();
        }
        // A crashed daemon's managed file is put back by this one, whatever its configs ask.
        boolean writesResolvConf =
                manageResolvConf || HostResolver.managedFileToRestore(instance.resolverStateDirectory());
        LockdownPlan plan = Lockdown.plan(instance, configDirectories, archive, writesResolvConf);
        LaunchHelper.Started helper = LaunchHelper.start(
                Path.of(System.getProperty("java.home"), "bin", "java"), System.getProperty("java.class.path"));
        LockedDownDaemon.Arguments arguments = new LockedDownDaemon.Arguments(
                instance,
                helper.socket().fd(),
                helper.pid(),
                launchGroup,
                configDirectories,
                archive,
                writesResolvConf);
        // The control socket wg-pr.socket passed stays open for the locked-down image (the same process).
        int[] keep = IntStream.concat(
                        IntStream.of(helper.socket().fd()), SystemdSocket.passed(System.getenv()).stream())
                .toArray();
        Lockdown.execLockedDown(
                plan,
                Lockdown.sameJvm(
                        LockedDownDaemon.class.getName(), lockedDownJvmOptions(instance, archive), arguments.toList()),
                DaemonJvm.environment(System.getenv()),
                keep);
    }

    private static List<String> lockedDownJvmOptions(Instance instance, Optional<Path> archive) {
        List<String> options =
                new ArrayList<>(List.of("-XX:-UsePerfData", "-XX:+DisableAttachMechanism", Pace.option()));
        // The archive's options before the chosen ones, which may so override them (bench/daemon's variants).
        archive.ifPresent(path -> options.addAll(DaemonJvm.archiveOptions(path, DaemonJvm.classList(path, instance))));
        options.addAll(DaemonJvm.options(System.getenv()));
        return options;
    }

    /** For {@code Optional.map}: closes a probe connection and keeps it present. */
    static ControlChannel closeQuietly(ControlChannel socket) {
        socket.close();
        return socket;
    }
}
