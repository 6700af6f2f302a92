package dev.wgpr.client.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** One in-process run of the CLI with captured output: the same code path as the executable. */
record CliRun(int exitCode, String out, String err) {
    static CliRun withStdin(String stdin, String... args) {
        return capture((out, err) ->
                Main.execute(args, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), out, err));
    }

    static CliRun of(String... args) {
        return withStdin("", args);
    }

    /** As {@link #of}, always through the whole picocli CLI, never {@link FastPath}. */
    static CliRun ofTheWholeCli(String... args) {
        return capture((out, err) -> WgPrCommand.commandLine(new ByteArrayInputStream(new byte[0]), out, err)
                .execute(args));
    }

    /** What runs, given the streams it prints to; its exit status. */
    interface Invocation {
        int run(PrintStream out, PrintStream err);
    }

    /** Runs {@code invocation} with its output and errors captured. */
    static CliRun capture(Invocation invocation) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exitCode = invocation.run(
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new CliRun(exitCode, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
