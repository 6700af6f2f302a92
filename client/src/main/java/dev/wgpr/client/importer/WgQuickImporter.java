package dev.wgpr.client.importer;

import java.util.List;

/**
 * Converts a wg-quick config (with WireSock's AllowedApps extension) into a wg-pr config. Never
 * drops anything silently: what has no counterpart in wg-pr is reported as a {@link Finding}.
 */
public final class WgQuickImporter {
    private static final String WG_QUICK_SUFFIX = ".conf";

    private WgQuickImporter() {}

    /**
     * @param fileName the file's name or path, for messages and, without {@code .conf}, the
     *     interface name (wg-quick names the interface after the file)
     * @param text the file's contents
     * @throws ImportException naming every problem, line by line, when the file is not valid
     */
    public static ImportResult importConfig(String fileName, String text) throws ImportException {
        Problems problems = new Problems();
        List<WgQuickSection> sections = WgQuickReader.read(text, problems);
        ImportedTunnel tunnel = TunnelConverter.convert(stem(fileName), sections, problems);
        problems.throwIfAny(fileName);
        return new ImportResult(TomlWriter.write(tunnel, baseName(fileName)), tunnel.findings(), summary(tunnel));
    }

    private static String summary(ImportedTunnel tunnel) {
        long apps = tunnel.peers().stream().mapToLong(p -> p.apps().size()).sum();
        int peers = tunnel.peers().size();
        return "interface " + tunnel.tunnelInterface().name() + ", " + peers + (peers == 1 ? " peer, " : " peers, ")
                + apps + (apps == 1 ? " app" : " apps");
    }

    private static String baseName(String fileName) {
        return fileName.substring(fileName.lastIndexOf('/') + 1);
    }

    private static String stem(String fileName) {
        String name = baseName(fileName);
        return name.endsWith(WG_QUICK_SUFFIX) ? name.substring(0, name.length() - WG_QUICK_SUFFIX.length()) : name;
    }
}
