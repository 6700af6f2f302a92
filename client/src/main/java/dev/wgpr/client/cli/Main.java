package dev.wgpr.client.cli;

import dev.wgpr.common.Pace;

/** The {@code wg-pr} executable. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        Pace.recordStartUp(); // first: how long this JVM took to get here
        System.exit(
                WgPrCommand.commandLine(System.in, System.out, System.err, args).execute(args));
    }
}
