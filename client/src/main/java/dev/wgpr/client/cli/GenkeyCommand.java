package dev.wgpr.client.cli;

import dev.wgpr.tunnel.crypto.Key;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(
        name = "genkey",
        mixinStandardHelpOptions = true,
        description = {
            "Print a new random private key in base64, as `wg genkey` does.",
            "Example: wg-pr genkey | tee corp.key | wg-pr pubkey"
        })
final class GenkeyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        warnIfStdoutIsWorldAccessible(spec);
        spec.commandLine().getOut().println(Key.generatePrivate().toBase64());
        return 0;
    }

    /** As {@code wg}: a key written to a file others can read is worth a warning. */
    static void warnIfStdoutIsWorldAccessible(CommandSpec spec) {
        try {
            Path stdout = Path.of("/proc/self/fd/1");
            if (Files.isRegularFile(stdout)) {
                Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(stdout);
                if (permissions.contains(PosixFilePermission.OTHERS_READ)
                        || permissions.contains(PosixFilePermission.OTHERS_WRITE)
                        || permissions.contains(PosixFilePermission.OTHERS_EXECUTE)) {
                    spec.commandLine()
                            .getErr()
                            .println("Warning: writing to world accessible file.\n"
                                    + "Consider setting the umask to 077 and trying again.");
                }
            }
        } catch (IOException | UnsupportedOperationException e) {
            // No /proc or no POSIX attributes: nothing to warn about.
        }
    }
}
