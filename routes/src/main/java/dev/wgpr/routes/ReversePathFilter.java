package dev.wgpr.routes;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * IPv4 reverse path filtering ({@code rp_filter}) turned off on the underlay while sockets go around the
 * tunnels, and back. A reply to traffic that left through the underlay arrives there from an address whose
 * unmarked route is a tunnel (a full tunnel routes everything), and the check ignores the socket's mark (the
 * arriving packet carries none, so {@code src_valid_mark} does not help):
 *
 * <ul>
 *   <li>strict (1) drops the reply because that route leaves through another interface;
 *   <li>loose (2) drops it once the route is unreachable: the fail-closed twin that stays after a crash
 *       took the userspace tunnel, the moment that bypassing processes must keep working. While the host
 *       has a default route, loose accepts every other source, so off gives away next to nothing.
 * </ul>
 *
 * The effective value of an interface is the larger of its own and {@code all}'s, so each non-zero entry of
 * both is changed, and only those. What is about to change is first written, with its value, to a record file
 * that {@link #restore} removes, so that the next daemon after a crash puts it back ({@link #restoreRecorded}):
 * the values before are nowhere else.
 *
 * <p>Sysctls of the namespace of the calling thread's process ({@code /proc/sys/net} is per namespace).
 */
public final class ReversePathFilter {
    private static final Path CONF = Path.of("/proc/sys/net/ipv4/conf");
    private static final String OFF = "0";
    /** Not interfaces ({@code default} only seeds new ones) or never the underlay. */
    private static final Set<String> SKIPPED = Set.of("default", "lo");

    private final Path conf;
    /** What was turned off: the conf directory's entry names, and their values before. */
    private final Map<String, String> before;

    private final Path record;

    private ReversePathFilter(Path conf, Map<String, String> before, Path record) {
        this.conf = conf;
        this.before = Map.copyOf(before);
        this.record = record;
    }

    /**
     * Turns off every entry of {@code /proc/sys/net/ipv4/conf} that filters, but {@code tunnels}' own, having
     * written their names and values to {@code record} (replaced if there).
     */
    public static ReversePathFilter turnOff(Set<String> tunnels, Path record) throws IOException {
        return turnOff(CONF, tunnels, record);
    }

    /**
     * Puts back what a run that ended without {@link #restore} (a crash) recorded in {@code record} and is still
     * off, and removes the record; returns those entries' names (none without a record).
     */
    public static List<String> restoreRecorded(Path record) throws IOException {
        return restoreRecorded(CONF, record);
    }

    static List<String> restoreRecorded(Path conf, Path record) throws IOException {
        if (!Files.exists(record)) {
            return List.of();
        }
        Map<String, String> before = new LinkedHashMap<>();
        for (String line : Files.readAllLines(record, StandardCharsets.UTF_8)) {
            String[] entry = line.strip().split(" ");
            if (entry.length == 2) {
                before.put(entry[0], entry[1]);
            }
        }
        new ReversePathFilter(conf, before, record).restore();
        return List.copyOf(before.keySet());
    }

    static ReversePathFilter turnOff(Path conf, Set<String> tunnels, Path record) throws IOException {
        Map<String, String> filtering = new LinkedHashMap<>();
        try (var entries = Files.list(conf)) {
            for (Path entry : entries.sorted().toList()) {
                String name = entry.getFileName().toString();
                Path file = entry.resolve("rp_filter");
                if (SKIPPED.contains(name) || tunnels.contains(name) || !Files.exists(file)) {
                    continue;
                }
                String value = Files.readString(file, StandardCharsets.US_ASCII).strip();
                if (!value.equals(OFF)) {
                    filtering.put(name, value);
                }
            }
        }
        Path partial = record.resolveSibling(record.getFileName() + ".partial");
        Files.write(
                partial,
                filtering.entrySet().stream()
                        .map(entry -> entry.getKey() + " " + entry.getValue())
                        .toList(),
                StandardCharsets.UTF_8);
        Files.move(partial, record, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Map<String, String> done = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, String> entry : filtering.entrySet()) {
                write(conf.resolve(entry.getKey()).resolve("rp_filter"), OFF);
                done.put(entry.getKey(), entry.getValue());
            }
        } catch (IOException | RuntimeException e) {
            try {
                new ReversePathFilter(conf, done, record).restore();
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        return new ReversePathFilter(conf, done, record);
    }

    /**
     * Writes a sysctl without truncating it first: a sysctl needs no truncation, and the locked-down
     * daemon's Landlock rule grants writing, not truncating.
     */
    private static void write(Path file, String value) throws IOException {
        Files.writeString(file, value, StandardCharsets.US_ASCII, StandardOpenOption.WRITE);
    }

    /** The entries turned off (interface names, {@code all}), sorted. */
    public List<String> turnedOff() {
        return before.keySet().stream().sorted().toList();
    }

    /**
     * Puts back what {@link #turnOff} turned off and is still off (someone who changed it meanwhile keeps their
     * value); an interface that went meanwhile is skipped. Then removes the record.
     */
    public void restore() throws IOException {
        for (String name : turnedOff()) {
            Path file = conf.resolve(name).resolve("rp_filter");
            if (Files.exists(file)
                    && Files.readString(file, StandardCharsets.US_ASCII).strip().equals(OFF)) {
                write(file, before.get(name));
            }
        }
        Files.deleteIfExists(record);
    }
}
