package dev.wgpr.client.importer;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.tomlj.TomlArray;
import org.tomlj.TomlTable;

/**
 * A wg-pr TOML written back as a wg-quick file, for round trips: names become {@code # Name =}
 * comments and apps WireSock's AllowedApps, so that importing the result again must give the
 * same config.
 */
final class WgQuickExport {
    private WgQuickExport() {}

    static String of(TomlTable toml) {
        StringBuilder conf = new StringBuilder("[Interface]\n");
        TomlTable tunnelInterface = toml.getTable("interface");
        line(conf, "PrivateKey", tunnelInterface.get("privateKey"));
        line(conf, "Address", tunnelInterface.get("address"));
        line(conf, "ListenPort", tunnelInterface.get("listenPort"));
        line(conf, "MTU", tunnelInterface.get("mtu"));
        List<Object> dns = new ArrayList<>();
        for (String key : List.of("dns", "dnsDomains")) {
            TomlArray values = tunnelInterface.getArray(key);
            if (values != null) {
                dns.addAll(values.toList());
            }
        }
        line(
                conf,
                "DNS",
                dns.isEmpty() ? null : dns.stream().map(Object::toString).collect(Collectors.joining(", ")));
        line(conf, "DisallowedApps", appEntries(tunnelInterface.getArray("excludedApps")));
        TomlArray peers = toml.getArray("peer");
        for (int i = 0; i < peers.size(); i++) {
            TomlTable peer = peers.getTable(i);
            conf.append("\n# Name = ").append(peer.getString("name")).append("\n[Peer]\n");
            line(conf, "PublicKey", peer.get("publicKey"));
            line(conf, "PresharedKey", peer.get("presharedKey"));
            line(conf, "Endpoint", peer.get("endpoint"));
            line(conf, "AllowedIPs", peer.get("allowedIPs"));
            line(conf, "PersistentKeepalive", peer.get("persistentKeepalive"));
            line(conf, "AllowedApps", appEntries(peer.getArray("allowedApps")));
        }
        return conf.toString();
    }

    /** Apps as WireSock lists them: each one's exec, else its name; null for none. */
    private static String appEntries(TomlArray apps) {
        if (apps == null) {
            return null;
        }
        return apps.toList().stream()
                .map(app -> (TomlTable) app)
                .map(app -> app.getString("exec", () -> app.getString("name")))
                .collect(Collectors.joining(", "));
    }

    private static void line(StringBuilder conf, String key, Object value) {
        if (value == null) {
            return;
        }
        String text = value instanceof TomlArray array
                ? array.toList().stream().map(Object::toString).collect(Collectors.joining(", "))
                : value.toString();
        conf.append(key).append(" = ").append(text).append('\n');
    }
}
