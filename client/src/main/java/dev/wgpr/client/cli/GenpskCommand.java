package dev.wgpr.client.cli;

import dev.wgpr.tunnel.crypto.Key;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(
        name = "genpsk",
        mixinStandardHelpOptions = true,
        description = "Print a new random preshared key in base64, as `wg genpsk` does.")
final class GenpskCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        GenkeyCommand.warnIfStdoutIsWorldAccessible(spec);
        spec.commandLine().getOut().println(Key.generatePreshared().toBase64());
        return 0;
    }
}
