package dev.wgpr.client.cli;

import dev.wgpr.common.Pace;
import java.io.InputStream;
import java.io.PrintStream;

/** The {@code wg-pr} executable. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        Pace.recordStartUp(); // first: how long this JVM took to get here
        System.exit(execute(args, System.in, System.out, System.err));
    }

    /**
     * One invocation and its exit status: the commands people type most in their plain forms by {@link
     * FastPath}, everything else by the whole picocli CLI.
     */
    static int execute(String[] args, InputStream in, PrintStream out, PrintStream err) {
        return FastPath.execute(args, out, err)
                .orElseGet(() -> WgPrCommand.commandLine(in, out, err, args).execute(args));
    }
}
