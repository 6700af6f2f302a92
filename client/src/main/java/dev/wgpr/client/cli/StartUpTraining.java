package dev.wgpr.client.cli;

import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * The workload the build runs once with {@code -XX:AOTCacheOutput} to make the CLI's ahead-of-time
 * cache (JEP 483, 514, 515): the commands people type most, in one JVM, so the classes they load and
 * link, and the methods they run hot, are in the cache. Nothing it runs changes the system: {@code
 * status} asks an instance no daemon serves, {@code check} reads the example config it is given.
 *
 * <p>Usage: {@code java -XX:AOTCacheOutput=wg-pr.aot -cp wg-pr.jar dev.wgpr.client.cli.StartUpTraining
 * configs/demo.toml}
 */
public final class StartUpTraining {
    private StartUpTraining() {}

    public static void main(String[] args) {
        String config = Path.of(args[0]).toString();
        String[][] commands = {
            {"--version"},
            {"--help"},
            {"check", config},
            {"check", "--help"},
            {"--instance", "wgpr-start-up-training-none", "status"},
            {"--instance", "wgpr-start-up-training-none", "status", "--json"},
            {"--instance", "wgpr-start-up-training-none", "events"},
            {"run", "--help"},
            {"up", "--help"},
            {"genkey"},
        };
        PrintStream discard = new PrintStream(OutputStream.nullOutputStream());
        for (String[] command : commands) {
            WgPrCommand.commandLine(new ByteArrayInputStream(new byte[0]), discard, discard)
                    .execute(command);
        }
    }
}
