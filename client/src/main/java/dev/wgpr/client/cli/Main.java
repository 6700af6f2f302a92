package dev.wgpr.client.cli;

/** The {@code wg-pr} executable. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.exit(WgPrCommand.commandLine(System.in, System.out, System.err).execute(args));
    }
}
