package dev.wgpr.client.cli;

import dev.wgpr.client.config.InterfaceConfig;
import dev.wgpr.client.control.Reply;
import dev.wgpr.client.control.Request;
import dev.wgpr.client.daemon.Instance;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(
        name = "down",
        mixinStandardHelpOptions = true,
        description = {
            "Take a tunnel down: its enforcement, routes, addresses and interface are removed, exactly"
                    + " what `wg-pr up` added and nothing else.",
        },
        footer = {
            "",
            "Example:",
            "  wg-pr down corp0",
            "  wg-pr down /etc/wg-pr/corp.toml",
            "",
            "Exit status: 0 when down; 4 when not permitted (root, or as polkit or the group wg-pr allow: see wg-pr(8)); 1 when it was not up or undoing failed.",
        })
final class DownCommand implements Callable<Integer> {
    @Parameters(
            paramLabel = "NAME|CONFIG",
            description = "The tunnel's interface name, as `wg-pr status` shows it, or the config it was brought"
                    + " up from (a path with a '/' or ending in .toml), whose interface is taken down.")
    String tunnel;

    @ParentCommand
    WgPrCommand root;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        // A config names its interface (by default the file's stem, as `up` does): what wg-pr@NAME.service
        // stops with, since the name in the file need not be the unit's.
        boolean config = tunnel.contains("/") || tunnel.endsWith(".toml");
        Optional<String> named = config
                ? ConfigLoading.load(Path.of(tunnel), err)
                        .map(loaded -> loaded.config().iface().name())
                : Optional.of(tunnel).filter(InterfaceConfig::isValidName);
        if (named.isEmpty()) {
            if (!config) {
                err.println("wg-pr down: '" + tunnel + "' is not an interface name");
            }
            return WgPrCommand.EXIT_BAD_INPUT;
        }
        String name = named.get();
        Instance instance = root.instance();
        try {
            Reply.Downed downed = DaemonClient.require(
                    instance,
                    new Request.Down(name),
                    Reply.Downed.class,
                    name + " is not up (no daemon runs for instance " + instance + ")");
            out.println(
                    downed.handingOver()
                            ? name + " stays up: the daemon of instance " + instance
                                    + " is handing over to the next one"
                            : name + " is down");
            return 0;
        } catch (DaemonClient.DaemonException e) {
            return e.report("down", err);
        }
    }
}
