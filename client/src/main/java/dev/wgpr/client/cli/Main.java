package dev.wgpr.client.cli;

import dev.wgpr.common.Pace;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.Optional;

/** The {@code wg-pr} executable. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        Pace.recordStartUp(); // first: how long this JVM took to get here
        Waiter.allowHandOver(); // this process is the CLI's own: `run` may exec its waiter
        Optional<Integer> fast = FastPath.execute(args, System.out, System.err);
        if (fast.isPresent()) {
            // Its commands leave no shutdown hook and no thread behind, and have flushed what they
            // printed; System.exit would first look up the JDK's logging backend (a service search
            // through the jar) to log the exit, about a tenth of these commands' time.
            System.out.flush();
            System.err.flush();
            Runtime.getRuntime().halt(fast.get());
        }
        System.exit(
                WgPrCommand.commandLine(System.in, System.out, System.err, args).execute(args));
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
