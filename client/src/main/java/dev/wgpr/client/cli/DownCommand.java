package dev.wgpr.client.cli;

import dev.wgpr.client.config.InterfaceConfig;
import dev.wgpr.client.control.Protocol;
import dev.wgpr.client.daemon.Instance;
import java.io.PrintWriter;
import java.util.Map;
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
            "  wg-pr down corp",
            "",
            "Exit status: 0 when down; 4 when not root; 1 when it was not up or undoing failed.",
        })
final class DownCommand implements Callable<Integer> {
    @Parameters(paramLabel = "NAME", description = "The tunnel's interface name, as `wg-pr status` shows it.")
    String name;

    @ParentCommand
    WgPrCommand root;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (!InterfaceConfig.isValidName(name)) {
            err.println("wg-pr down: '" + name + "' is not an interface name");
            return WgPrCommand.EXIT_BAD_INPUT;
        }
        Instance instance = root.instance();
        Map<String, Object> request = Protocol.request(Protocol.DOWN);
        request.put("tunnel", name);
        try {
            Optional<Map<String, Object>> reply = DaemonClient.call(instance, request);
            if (reply.isEmpty()) {
                err.println("wg-pr down: " + name + " is not up (no daemon runs for instance " + instance + ")");
                return WgPrCommand.EXIT_FAILURE;
            }
            if (DaemonClient.isOk(reply.get())) {
                out.println(name + " is down");
                return 0;
            }
            return Replies.reportError("down", reply.get(), err);
        } catch (DaemonClient.DaemonException e) {
            err.println("wg-pr down: " + e.getMessage());
            return WgPrCommand.EXIT_FAILURE;
        }
    }
}
