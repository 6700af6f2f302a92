package dev.wgpr.enforcement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class TrieFillOrderTest {
    private static final AppId APP = AppId.of(1);

    /** The benchmark's shape: broad internal prefixes and grants, and many /32s granted each. */
    private static List<TrieEntry> entries() {
        Policy.Builder builder = Policy.builder()
                .internal("10.20.0.0/16", 0)
                .internal("fd00::/8", 0)
                .grant(APP, "10.20.0.0/16 tcp/22")
                .grant(APP, "fd00::/8 tcp/22");
        for (int i = 0; i < 300; i++) {
            String host = "10.128." + (i * 7 >>> 8) + "." + (i * 7 & 255) + "/32";
            builder.internal(host, 0).grant(APP, host + " tcp/443");
        }
        return PolicyCompiler.compile(builder.build());
    }

    @Test
    void everyEntryGoesInOnce() {
        List<TrieEntry> entries = entries();
        List<TrieEntry> ordered = TrieFillOrder.of(entries).stream()
                .map(TrieFillOrder.Keyed::entry)
                .toList();
        assertEquals(entries.size(), ordered.size());
        assertEquals(new HashSet<>(entries), new HashSet<>(ordered));
    }

    @Test
    void broaderKeysGoInBeforeNarrowerOnes() {
        List<TrieFillOrder.Keyed> ordered = TrieFillOrder.of(entries());
        for (int i = 1; i < ordered.size(); i++) {
            assertTrue(ordered.get(i - 1).prefixlen() <= ordered.get(i).prefixlen(), "at " + i);
        }
    }

    @Test
    void theFirstKeysOfOneLengthSpreadOverTheTrieSoThatItsUpperNodesAreMadeFirst() {
        List<TrieEntry> hosts = TrieFillOrder.of(entries()).stream()
                .filter(keyed -> keyed.prefixlen() == 160 && keyed.entry().app() >= 0)
                .map(TrieFillOrder.Keyed::entry)
                .toList();
        // Each app's subtree gets its first host, and so its upper nodes, before the first app's 300 are in.
        Set<Integer> apps = hosts.subList(0, 2).stream().map(TrieEntry::app).collect(Collectors.toSet());
        assertEquals(Set.of(0, 1), apps);
    }
}
