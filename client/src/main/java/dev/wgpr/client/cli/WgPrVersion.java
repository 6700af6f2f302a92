package dev.wgpr.client.cli;

import picocli.CommandLine;

/**
 * What {@code wg-pr --version} prints. A class of its own, not nested in {@link WgPrCommand}: {@link
 * FastPath} prints it without loading the root command, whose subcommand list loads every subcommand's class.
 */
final class WgPrVersion implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String version = WgPrVersion.class.getPackage().getImplementationVersion();
        return new String[] {"wg-pr " + (version == null ? "(development build)" : version)};
    }
}
