package dev.wgpr.client.cli;

import dev.wgpr.client.demo.Demo;
import dev.wgpr.common.linux.Libc;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = {
            "Show the whole idea in one command: build a lab of network namespaces (a laptop, a router,"
                    + " a WireGuard gateway running wireguard-go with an intranet web server behind it, a"
                    + " public web site), bring up the demo config on the laptop with this wg-pr, and tell"
                    + " step by step, with the real commands and their real output, who may reach what.",
            "Everything happens inside the lab's namespaces, under names unique to the run, and is"
                    + " removed at the end (also on failure or Ctrl-C). Needs root, ip, nsenter, wg,"
                    + " wireguard-go and curl.",
        },
        footer = {"", "Exit status: 0 when the story went as told; 1 when a step failed; 4 when not root."})
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--keep", description = "Leave the lab running for exploring, and print how to enter it.")
    boolean keep;

    @Option(names = "--clean", description = "Remove the labs an earlier --keep (or an interrupted run) left.")
    boolean clean;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException, InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (Libc.geteuid() != 0) {
            err.println("wg-pr demo: run it as root (sudo wg-pr demo): it creates network namespaces and"
                    + " loads BPF programs, all removed at the end");
            return WgPrCommand.EXIT_NOT_PERMITTED;
        }
        // The lab runs this same build of wg-pr (and its small web servers) from this class path.
        String classPath = System.getProperty("java.class.path");
        if (clean) {
            return Demo.clean(out, classPath);
        }
        List<String> missing = Demo.missingTools();
        if (!missing.isEmpty()) {
            err.println("wg-pr demo: missing tools: " + String.join(", ", missing));
            err.println("  on Debian/Ubuntu: apt-get install --no-install-recommends iproute2 util-linux"
                    + " wireguard-tools wireguard-go curl");
            return WgPrCommand.EXIT_FAILURE;
        }
        try {
            Demo.Outcome outcome = new Demo(out, classPath, keep).run();
            boolean told = outcome.authorizedReached()
                    && outcome.unauthorizedDenied()
                    && outcome.denyEventShown()
                    && outcome.internetReachedByBoth()
                    && outcome.grantRevoked()
                    && outcome.cleanupFailures().isEmpty();
            if (!told) {
                err.println("wg-pr demo: the story did not go as told: " + outcome);
            }
            return told ? 0 : WgPrCommand.EXIT_FAILURE;
        } catch (RuntimeException e) {
            err.println("wg-pr demo: " + e.getMessage());
            return WgPrCommand.EXIT_FAILURE;
        }
    }
}
