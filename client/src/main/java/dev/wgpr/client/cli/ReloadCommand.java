package dev.wgpr.client.cli;

import dev.wgpr.client.control.Reply;
import dev.wgpr.client.control.Request;
import dev.wgpr.client.daemon.Instance;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(
        name = "reload",
        mixinStandardHelpOptions = true,
        description = {
            "Bring a tunnel that is up to its config file's new contents in place: peers, routes, apps"
                    + " and grants. The tunnel is not torn down; peers whose keys did not change keep"
                    + " their sessions, so the connections of apps that are still allowed keep running."
                    + " Open connections a removed grant allowed are closed.",
            "A config with mistakes changes nothing (the mistakes are listed as `wg-pr check` lists"
                    + " them); when a step fails, the tunnel goes back to its previous config.",
        },
        footer = {
            "",
            "Example:",
            "  wg-pr reload /etc/wg-pr/corp.toml",
            "",
            "Exit status: 0 when reloaded; 2 for a bad config; 4 when not permitted (root, or as polkit or the group wg-pr allow: see wg-pr(8)); 1 for other failures"
                    + " (not up, or a step failed).",
        })
final class ReloadCommand implements Callable<Integer> {
    @Parameters(
            paramLabel = "CONFIG",
            description = "The config file (TOML) of a tunnel that is up; a bare NAME is /etc/wg-pr/NAME.toml.")
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
        Optional<ConfigLoading.ForDaemon> config = ConfigLoading.forDaemon(configFile, err);
        if (config.isEmpty() || ConfigLoading.refusedWithoutForce(config.get(), force, "reload", err)) {
            return WgPrCommand.EXIT_BAD_INPUT;
        }
        Instance instance = root.instance();
        try {
            Reply.Reloaded reloaded = DaemonClient.require(
                    instance,
                    new Request.Reload(config.get().text(), force),
                    Reply.Reloaded.class,
                    "nothing is up (no daemon runs for instance " + instance + ")");
            if (reloaded.changes().isEmpty()) {
                out.println(reloaded.tunnel() + " reloaded: nothing changed");
            } else {
                out.println(reloaded.tunnel() + " reloaded:");
                reloaded.changes().forEach(change -> out.println("  " + change));
            }
            return 0;
        } catch (DaemonClient.DaemonException e) {
            return e.report("reload", err);
        }
    }
}
