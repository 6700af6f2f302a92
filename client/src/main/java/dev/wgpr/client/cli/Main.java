package dev.wgpr.client.cli;

import dev.wgpr.common.Pace;

/** The {@code wg-pr} executable. */
public final class Main {
    private static volatile boolean wholeProcess;

    private Main() {}

    public static void main(String[] args) {
        Pace.recordStartUp(); // first: how long this JVM took to get here
        wholeProcess = true;
        System.exit(
                WgPrCommand.commandLine(System.in, System.out, System.err, args).execute(args));
    }

    /**
     * Whether this JVM is the {@code wg-pr} executable and nothing else, so that a command may replace the
     * process ({@code run}'s waiter): not when the CLI runs inside another program, such as a test.
     */
    static boolean isWholeProcess() {
        return wholeProcess;
    }
}
