package dev.wgpr.client.cli;

import dev.wgpr.client.control.UnixSocket;
import dev.wgpr.client.daemon.Daemon;
import dev.wgpr.client.daemon.Instance;
import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import java.io.IOException;
import java.io.PrintWriter;
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
                DaemonClient.ensureRunning(instance, launchGroup);
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
        Daemon daemon;
        try {
            daemon = Daemon.start(
                    instance,
                    new Daemon.Options(
                            launchGroup.orElse(Daemon.Options.defaults().launchGroup())));
        } catch (IOException e) {
            err.println("wg-pr daemon: " + e.getMessage());
            return WgPrCommand.EXIT_FAILURE;
        }
        // SIGTERM, SIGINT and SIGHUP run the shutdown hooks: the orderly stop.
        Runtime.getRuntime().addShutdownHook(new Thread(daemon::stop, "daemon-stop"));
        err.println("wg-pr daemon: instance " + instance + " ready, pid "
                + ProcessHandle.current().pid());
        try {
            daemon.awaitStopped();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    /** For {@code Optional.map}: closes a probe connection and keeps it present. */
    static UnixSocket closeQuietly(UnixSocket socket) {
        socket.close();
        return socket;
    }
}
