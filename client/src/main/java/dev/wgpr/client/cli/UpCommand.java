package dev.wgpr.client.cli;

import dev.wgpr.client.control.Protocol;
import dev.wgpr.client.control.Reply;
import dev.wgpr.client.control.Request;
import dev.wgpr.client.daemon.Instance;
import dev.wgpr.common.linux.Libc;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(
        name = "up",
        mixinStandardHelpOptions = true,
        description = {
            "Bring a tunnel up: validate the config, start the daemon if none runs, and return once the"
                    + " interface, its routes and the app enforcement are live.",
            "A config with mistakes changes nothing (the mistakes are listed as `wg-pr check` lists"
                    + " them). When any stage fails, everything done so far is undone.",
        },
        footer = {
            "",
            "Example:",
            "  wg-pr up /etc/wg-pr/corp.toml",
            "",
            "Environment: WG_ENDPOINT_RESOLUTION_RETRIES=N|infinity asks again, 1 s apart and up to 20 s"
                    + " later, while an endpoint's name cannot be resolved, as wg(8) does (wg-pr@.service sets"
                    + " infinity); without it, up fails at once.",
            "",
            "Exit status: 0 when up; 2 for a bad config; 4 when not permitted (root, or as polkit or the group wg-pr allow: see wg-pr(8)); 1 for other failures.",
        })
final class UpCommand implements Callable<Integer> {
    @Parameters(paramLabel = "CONFIG", description = "The config file (TOML); a bare NAME is /etc/wg-pr/NAME.toml.")
    Path configFile;

    @Option(
            names = "--force",
            description = "Go ahead even when a warning says the config takes more than it may mean (a full"
                    + " tunnel that denies every process that is no app the Internet, with others not written out).")
    boolean force;

    @ParentCommand
    WgPrCommand root;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        configFile = ConfigLoading.resolve(configFile);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        EndpointResolutionRetries retries;
        try {
            retries = EndpointResolutionRetries.from(System.getenv());
        } catch (IllegalArgumentException e) {
            err.println("wg-pr up: " + e.getMessage());
            return WgPrCommand.EXIT_BAD_INPUT;
        }
        Optional<ConfigLoading.ForDaemon> config = ConfigLoading.forDaemon(configFile, err);
        if (config.isEmpty() || ConfigLoading.refusedWithoutForce(config.get(), force, "up", err)) {
            return WgPrCommand.EXIT_BAD_INPUT;
        }
        Instance instance = root.instance();
        try {
            if (DaemonClient.connect(instance).map(DaemonCommand::closeQuietly).isEmpty()) {
                if (Libc.geteuid() != 0) {
                    err.println(
                            "wg-pr up: no daemon runs, and only root may start one (sudo wg-pr up, or systemctl start wg-pr)");
                    return WgPrCommand.EXIT_NOT_PERMITTED;
                }
                // The locked-down daemon reads configs only where it was told it may (Landlock).
                DaemonClient.ensureRunning(
                        instance,
                        Optional.empty(),
                        List.of(configFile.toAbsolutePath().normalize().getParent()),
                        true,
                        config.get().managesResolvConf());
            }
            Reply.Upped up =
                    upRetryingUnresolved(instance, new Request.Up(config.get().text(), force), retries, err);
            out.println(up.tunnel() + " is up");
            return 0;
        } catch (DaemonClient.DaemonException e) {
            return e.report("up", err);
        }
    }

    /** Asks the daemon to bring the tunnel up, again while an endpoint's name is unresolved and retries are left. */
    private static Reply.Upped upRetryingUnresolved(
            Instance instance, Request.Up request, EndpointResolutionRetries retries, PrintWriter err)
            throws DaemonClient.DaemonException {
        while (true) {
            try {
                return DaemonClient.require(
                        instance,
                        request,
                        Reply.Upped.class,
                        "the daemon of instance " + instance + " stopped; see " + instance.logFile());
            } catch (DaemonClient.RefusedException e) {
                Duration wait = e.error().error().equals(Protocol.UNRESOLVED) ? retries.takeOne() : null;
                if (wait == null) {
                    throw e;
                }
                err.printf("wg-pr up: %s; trying again in %.1f s%n", e.getMessage(), wait.toMillis() / 1000.0);
                err.flush();
                try {
                    Thread.sleep(wait);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }
}
