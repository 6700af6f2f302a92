package dev.wgpr.routes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** On a copy of {@code /proc/sys/net/ipv4/conf}'s shape: which entries are turned off, and what is put back. */
class ReversePathFilterTest {
    @Test
    void everyFilteringUnderlayEntryIsTurnedOffAndOnlyThoseStillOffArePutBack(@TempDir Path dir) throws Exception {
        Path conf = conf(dir);
        Path record = dir.resolve("rp_filter.before");

        ReversePathFilter filter = ReversePathFilter.turnOff(conf, Set.of("wg0"), record);
        assertEquals(List.of("all", "eth0", "wlan0"), filter.turnedOff());
        assertEquals(
                Map.of("all", "0", "default", "1", "lo", "1", "eth0", "0", "eth1", "0", "wlan0", "0", "wg0", "1"),
                read(conf));

        Files.writeString(conf.resolve("eth0").resolve("rp_filter"), "2"); // someone else's change meanwhile
        filter.restore();
        assertEquals(
                Map.of("all", "1", "default", "1", "lo", "1", "eth0", "2", "eth1", "0", "wlan0", "2", "wg0", "1"),
                read(conf));
        assertFalse(Files.exists(record), "an orderly restore leaves no record");
    }

    @Test
    void whatACrashedRunTurnedOffIsPutBackFromItsRecordByTheNextOne(@TempDir Path dir) throws Exception {
        Path conf = conf(dir);
        Path record = dir.resolve("rp_filter.before");
        Map<String, String> before = read(conf);

        ReversePathFilter.turnOff(conf, Set.of("wg0"), record); // and then the daemon is killed: no restore
        assertEquals(List.of("all 1", "eth0 1", "wlan0 2"), Files.readAllLines(record));

        assertEquals(List.of("all", "eth0", "wlan0"), ReversePathFilter.restoreRecorded(conf, record));
        assertEquals(before, read(conf));
        assertFalse(Files.exists(record));
        assertEquals(List.of(), ReversePathFilter.restoreRecorded(conf, record), "nothing recorded, nothing done");
    }

    /** A copy of {@code /proc/sys/net/ipv4/conf}'s shape under {@code dir}, strict, off and loose entries. */
    private static Path conf(Path dir) throws Exception {
        Path conf = Files.createDirectory(dir.resolve("conf"));
        Map<String, String> values =
                Map.of("all", "1", "default", "1", "lo", "1", "eth0", "1", "eth1", "0", "wlan0", "2", "wg0", "1");
        for (Map.Entry<String, String> entry : values.entrySet()) {
            Files.createDirectory(conf.resolve(entry.getKey()));
            Files.writeString(conf.resolve(entry.getKey()).resolve("rp_filter"), entry.getValue() + "\n");
        }
        return conf;
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
