package dev.wgpr.client.importer;

import dev.wgpr.common.net.InterfaceAddress;
import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.common.net.IpText;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.tomlj.TomlArray;
import org.tomlj.TomlTable;

/**
 * What WireGuard itself is configured with, normalized so that a wg-quick file and a wg-pr TOML
 * can be compared: keys, addresses, DNS servers, MTU, port, and per peer the endpoint, allowed IPs
 * and keepalive. Read from wg-quick text by a deliberately naive reader of its own, independent of
 * the importer, so the two cannot share a mistake.
 *
 * @param tunnelInterface normalized key (wg-quick's, lower case) to its sorted values
 * @param peers the same for each peer, in file order
 */
record WireGuardData(Map<String, Set<String>> tunnelInterface, List<Map<String, Set<String>>> peers) {
    /** wg-quick keys, lower case, to the wg-pr TOML keys that carry them. */
    private static final Map<String, String> INTERFACE_KEYS = Map.of(
            "privatekey", "privateKey",
            "listenport", "listenPort",
            "address", "address",
            "dns", "dns",
            "mtu", "mtu");

    private static final Map<String, String> PEER_KEYS = Map.of(
            "publickey", "publicKey",
            "presharedkey", "presharedKey",
            "endpoint", "endpoint",
            "allowedips", "allowedIPs",
            "persistentkeepalive", "persistentKeepalive");

    static WireGuardData fromWgQuick(String text) {
        Map<String, Set<String>> tunnelInterface = new TreeMap<>();
        List<Map<String, Set<String>>> peers = new ArrayList<>();
        Map<String, Set<String>> section = null;
        for (String rawLine : text.split("\r?\n")) {
            String line = rawLine.replaceFirst("#.*", "").strip();
            if (line.equalsIgnoreCase("[Interface]")) {
                section = tunnelInterface;
            } else if (line.equalsIgnoreCase("[Peer]")) {
                section = new TreeMap<>();
                peers.add(section);
            } else if (line.contains("=") && section != null) {
                String key = line.substring(0, line.indexOf('=')).strip().toLowerCase(Locale.ROOT);
                String value = line.substring(line.indexOf('=') + 1).strip();
                Map<String, String> known = section == tunnelInterface ? INTERFACE_KEYS : PEER_KEYS;
                if (known.containsKey(key)) {
                    for (String item : value.split(key.equals("allowedips") ? "," : "[,\\s]+")) {
                        add(section, key, item.strip());
                    }
                }
            }
        }
        return new WireGuardData(tunnelInterface, peers);
    }

    static WireGuardData fromToml(TomlTable toml) {
        Map<String, Set<String>> tunnelInterface = fromTable(toml.getTable("interface"), INTERFACE_KEYS);
        List<Map<String, Set<String>>> peers = new ArrayList<>();
        TomlArray peerArray = toml.getArray("peer");
        for (int i = 0; peerArray != null && i < peerArray.size(); i++) {
            peers.add(fromTable(peerArray.getTable(i), PEER_KEYS));
        }
        return new WireGuardData(tunnelInterface, peers);
    }

    private static Map<String, Set<String>> fromTable(TomlTable table, Map<String, String> keys) {
        Map<String, Set<String>> data = new TreeMap<>();
        keys.forEach((wgQuickKey, tomlKey) -> {
            Object value = table.get(tomlKey);
            if (value instanceof TomlArray array) {
                array.toList().forEach(item -> add(data, wgQuickKey, item.toString()));
            } else if (value != null) {
                add(data, wgQuickKey, value.toString());
            }
        });
        return data;
    }

    /** Adds a value in the one form both sides can agree on; values WireGuard ignores are left out. */
    private static void add(Map<String, Set<String>> section, String key, String value) {
        String normalized = switch (key) {
            case "address" -> InterfaceAddress.parse(value).toString();
            case "allowedips" ->
                value.isEmpty() ? null : IpText.of(InterfaceAddress.parse(value).network());
            case "dns" -> isAddress(value) ? IpText.of(IpPrefix.parseAddress(value)) : null;
            case "persistentkeepalive" -> value.equalsIgnoreCase("off") || value.equals("0") ? null : value;
            case "listenport" -> value.equals("0") ? null : value;
            case "endpoint" -> value.startsWith("[") ? bracketed(value) : value;
            default -> value;
        };
        if (normalized != null) {
            section.computeIfAbsent(key, k -> new TreeSet<>()).add(normalized);
        }
    }

    private static boolean isAddress(String value) {
        try {
            IpPrefix.parseAddress(value);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static String bracketed(String endpoint) {
        int close = endpoint.indexOf(']');
        return "[" + IpText.of(IpPrefix.parseAddress(endpoint.substring(1, close))) + "]"
                + endpoint.substring(close + 1);
    }

    @Override
    public String toString() {
        return "interface " + tunnelInterface + ", peers " + Arrays.toString(peers.toArray());
    }
}
