package dev.wgpr.routes;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** On a copy of {@code /proc/sys/net/ipv4/conf}'s shape: which entries are loosened, and what is restored. */
class ReversePathFilterTest {
    @Test
    void onlyStrictUnderlayEntriesAreLoosenedAndOnlyThoseStillLooseAreRestored(@TempDir Path conf) throws Exception {
        Map<String, String> values =
                Map.of("all", "1", "default", "1", "lo", "1", "eth0", "1", "eth1", "0", "wlan0", "2", "wg0", "1");
        for (Map.Entry<String, String> entry : values.entrySet()) {
            Files.createDirectory(conf.resolve(entry.getKey()));
            Files.writeString(conf.resolve(entry.getKey()).resolve("rp_filter"), entry.getValue() + "\n");
        }

        ReversePathFilter filter = ReversePathFilter.loosen(conf, Set.of("wg0"));
        assertEquals(List.of("all", "eth0"), filter.loosened());
        assertEquals(
                Map.of("all", "2", "default", "1", "lo", "1", "eth0", "2", "eth1", "0", "wlan0", "2", "wg0", "1"),
                read(conf));

        Files.writeString(conf.resolve("eth0").resolve("rp_filter"), "0"); // someone else's change meanwhile
        filter.restore();
        assertEquals(
                Map.of("all", "1", "default", "1", "lo", "1", "eth0", "0", "eth1", "0", "wlan0", "2", "wg0", "1"),
                read(conf));
    }

    private static Map<String, String> read(Path conf) throws Exception {
        Map<String, String> values = new TreeMap<>();
        try (var entries = Files.list(conf)) {
            for (Path entry : entries.toList()) {
                values.put(
                        entry.getFileName().toString(),
                        Files.readString(entry.resolve("rp_filter")).strip());
            }
        }
        return values;
    }
}
