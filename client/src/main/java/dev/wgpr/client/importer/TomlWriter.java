package dev.wgpr.client.importer;

import java.util.List;
import java.util.OptionalInt;
import java.util.stream.Collectors;

/**
 * Writes an imported tunnel as a wg-pr config: TOML 1.0, keys in the order of the design's
 * example, every string escaped, and the findings as comments where they belong, so the file
 * itself tells what was left behind.
 */
final class TomlWriter {
    private static final int COMMENT_WIDTH = 100;

    private final StringBuilder toml = new StringBuilder();

    private TomlWriter() {}

    static String write(ImportedTunnel tunnel, String sourceName) {
        TomlWriter writer = new TomlWriter();
        writer.comment("Imported from " + sourceName + " by `wg-pr import`. Check it with `wg-pr check`.");
        writer.tunnelInterface(tunnel.tunnelInterface(), TunnelConverter.fullTunnel(tunnel.peers()));
        tunnel.peers().forEach(writer::peer);
        return writer.toml.toString();
    }

    private void tunnelInterface(ImportedInterface tunnelInterface, boolean fullTunnel) {
        toml.append("\n[interface]\n");
        string("name", tunnelInterface.name());
        string("privateKey", tunnelInterface.privateKey());
        strings("address", tunnelInterface.addresses());
        integer("listenPort", tunnelInterface.listenPort());
        integer("mtu", tunnelInterface.mtu());
        if (!tunnelInterface.dns().isEmpty()) {
            strings("dns", tunnelInterface.dns());
        }
        if (!tunnelInterface.dnsDomains().isEmpty()) {
            strings("dnsDomains", tunnelInterface.dnsDomains());
        }
        // As wg-quick: a full tunnel (0.0.0.0/0, ::/0) takes everything, anything else only its prefixes.
        string("routeMode", "auto");
        if (fullTunnel) {
            // Chosen out loud: wg-pr cannot send non-apps through the tunnel as wg-quick does (see the finding).
            string("others", "deny");
        }
        findings(tunnelInterface.findings());
        for (ImportedApp app : tunnelInterface.excludedApps()) {
            toml.append("\n[[interface.excludedApps]]\n");
            string("name", app.name());
            app.exec().ifPresent(exec -> string("exec", exec));
        }
    }

    private void peer(ImportedPeer peer) {
        toml.append("\n[[peer]]\n");
        string("name", peer.name());
        string("publicKey", peer.publicKey());
        peer.presharedKey().ifPresent(key -> string("presharedKey", key));
        peer.endpoint().ifPresent(endpoint -> string("endpoint", endpoint));
        strings("allowedIPs", peer.allowedIps());
        integer("persistentKeepalive", peer.persistentKeepalive());
        findings(peer.findings());
        if (peer.apps().isEmpty() && !peer.allowedIps().isEmpty()) {
            comment("For example, to let ssh use this peer's routes:");
            comment("[[peer.allowedApps]]");
            comment("name = \"ssh\"");
            comment("exec = \"/usr/bin/ssh\"");
        }
        for (ImportedApp app : peer.apps()) {
            toml.append("\n[[peer.allowedApps]]\n");
            string("name", app.name());
            app.exec().ifPresent(exec -> string("exec", exec));
        }
    }

    private void findings(List<Finding> findings) {
        for (Finding finding : findings) {
            comment(finding.kind().label() + ": line " + finding.line() + ", " + finding.key() + ": "
                    + finding.message());
        }
    }

    private void string(String key, String value) {
        toml.append(key).append(" = ").append(quoted(value)).append('\n');
    }

    private void integer(String key, OptionalInt value) {
        value.ifPresent(v -> toml.append(key).append(" = ").append(v).append('\n'));
    }

    private void strings(String key, List<String> values) {
        toml.append(key)
                .append(" = [")
                .append(values.stream().map(TomlWriter::quoted).collect(Collectors.joining(", ")))
                .append("]\n");
    }

    /** A comment, wrapped at spaces so the file stays readable. */
    private void comment(String text) {
        // TOML comments may hold any character but control characters other than tab.
        String clean = text.codePoints()
                .map(c -> isControl(c) && c != '\t' ? '?' : c)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
                .toString();
        String prefix = "# ";
        StringBuilder line = new StringBuilder();
        for (String word : clean.split(" ")) {
            if (!line.isEmpty() && prefix.length() + line.length() + 1 + word.length() > COMMENT_WIDTH) {
                toml.append(prefix).append(line).append('\n');
                line.setLength(0);
                prefix = "#   ";
            }
            line.append(line.isEmpty() ? "" : " ").append(word);
        }
        toml.append(prefix).append(line).append('\n');
    }

    /** A TOML basic string: quotes, backslashes and control characters escaped. */
    static String quoted(String value) {
        StringBuilder quoted = new StringBuilder("\"");
        value.codePoints().forEach(c -> {
            switch (c) {
                case '"' -> quoted.append("\\\"");
                case '\\' -> quoted.append("\\\\");
                case '\b' -> quoted.append("\\b");
                case '\t' -> quoted.append("\\t");
                case '\n' -> quoted.append("\\n");
                case '\f' -> quoted.append("\\f");
                case '\r' -> quoted.append("\\r");
                default -> {
                    if (isControl(c)) {
                        quoted.append(String.format("\\u%04X", c));
                    } else {
                        quoted.appendCodePoint(c);
                    }
                }
            }
        });
        return quoted.append('"').toString();
    }

    private static boolean isControl(int c) {
        return c < 0x20 || c == 0x7f;
    }
}
