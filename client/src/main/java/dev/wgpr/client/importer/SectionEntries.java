package dev.wgpr.client.importer;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The entries of one section sorted out: those wg-pr carries over, by key, and a finding for
 * every other line, so that nothing is dropped without the user being told.
 */
final class SectionEntries {
    private final Map<WgQuickKey, List<WgQuickEntry>> carried;

    private SectionEntries(Map<WgQuickKey, List<WgQuickEntry>> carried) {
        this.carried = carried;
    }

    /**
     * Sorts out {@code section}: keys wg-pr has no counterpart for and unknown keys become
     * findings, keys in the wrong section become problems.
     */
    static SectionEntries of(WgQuickSection section, List<Finding> findings, Problems problems) {
        Map<WgQuickKey, List<WgQuickEntry>> carried = new EnumMap<>(WgQuickKey.class);
        for (WgQuickEntry entry : section.entries()) {
            Optional<WgQuickKey> known = WgQuickKey.named(entry.key());
            if (known.isEmpty()) {
                // Without the value: "PrivatKey = …" would otherwise print a secret to the terminal.
                findings.add(notCarriedOver(
                        entry, entry.key(), "not a key of wg-quick or WireSock; wg-pr has no counterpart"));
                continue;
            }
            WgQuickKey key = known.get();
            if (!key.allowedIn(section.kind())) {
                problems.add(
                        entry.line(),
                        key.canonicalName(),
                        "belongs in " + otherSection(section.kind()).header() + ", not in "
                                + section.kind().header());
                continue;
            }
            Optional<String> reason = key.notCarriedOverReason();
            if (reason.isPresent()) {
                findings.add(notCarriedOver(entry, key.canonicalName(), reasonFor(key, entry, reason.get())));
                continue;
            }
            List<WgQuickEntry> entries = carried.computeIfAbsent(key, k -> new ArrayList<>());
            if (key.repeats() == WgQuickKey.Repeats.LAST_WINS && !entries.isEmpty()) {
                WgQuickEntry replaced = entries.removeFirst();
                findings.add(new Finding(
                        replaced.line(),
                        key.canonicalName(),
                        Finding.Kind.NOT_CARRIED_OVER,
                        "replaced by line " + entry.line() + ", as wg reads it: the last value wins"));
            }
            entries.add(entry);
        }
        return new SectionEntries(carried);
    }

    /** The one value of a key that takes one; the last line wins, as in wg. */
    Optional<WgQuickEntry> single(WgQuickKey key) {
        List<WgQuickEntry> entries = all(key);
        return entries.isEmpty() ? Optional.empty() : Optional.of(entries.getLast());
    }

    List<WgQuickEntry> all(WgQuickKey key) {
        return carried.getOrDefault(key, List.of());
    }

    private static String reasonFor(WgQuickKey key, WgQuickEntry entry, String generalReason) {
        if (key == WgQuickKey.TABLE && entry.value().toLowerCase(Locale.ROOT).equals("off")) {
            return "Table = off made wg-quick add no routes, but wg-pr installs a route for every peer's"
                    + " allowedIPs; `wg-pr check` shows which";
        }
        return generalReason + (entry.value().isEmpty() ? "" : " (was: " + entry.value() + ")");
    }

    private static Finding notCarriedOver(WgQuickEntry entry, String key, String message) {
        return new Finding(entry.line(), key, Finding.Kind.NOT_CARRIED_OVER, message);
    }

    private static WgQuickSection.Kind otherSection(WgQuickSection.Kind kind) {
        return kind == WgQuickSection.Kind.INTERFACE ? WgQuickSection.Kind.PEER : WgQuickSection.Kind.INTERFACE;
    }
}
