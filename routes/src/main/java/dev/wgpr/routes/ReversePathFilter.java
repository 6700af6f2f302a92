package dev.wgpr.routes;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Strict IPv4 reverse path filtering ({@code rp_filter = 1}) turned loose (2) while sockets go around the
 * tunnels, and back. A reply to traffic that left through the underlay arrives there from an address whose
 * unmarked route is a tunnel (a full tunnel routes everything); strict mode checks the source against that
 * route and drops the reply (the arriving packet carries no mark, so {@code src_valid_mark} does not help).
 * Loose mode still drops sources with no route at all. The effective value of an interface is the larger of
 * its own and {@code all}'s, so each strict one of both is changed, and only those.
 *
 * <p>What is about to be loosened is first written to a record file, which {@link #restore} removes, so that
 * the next daemon after a crash puts it back ({@link #restoreRecorded}): the values before are nowhere else.
 *
 * <p>Sysctls of the namespace of the calling thread's process ({@code /proc/sys/net} is per namespace).
 */
public final class ReversePathFilter {
    private static final String STRICT = "1";
    private static final String LOOSE = "2";
    /** Not interfaces ({@code default} only seeds new ones) or never the underlay. */
    private static final Set<String> SKIPPED = Set.of("default", "lo");

    private static final Path CONF = Path.of("/proc/sys/net/ipv4/conf");

    private final Path conf;
    /** What was loosened: the conf directory's entry names. */
    private final List<String> loosened;

    private final Path record;

    private ReversePathFilter(Path conf, List<String> loosened, Path record) {
        this.conf = conf;
        this.loosened = List.copyOf(loosened);
        this.record = record;
    }

    /**
     * Loosens every strict entry of {@code /proc/sys/net/ipv4/conf} but {@code tunnels}' own, having written
     * their names to {@code record} (replaced if there).
     */
    public static ReversePathFilter loosen(Set<String> tunnels, Path record) throws IOException {
        return loosen(CONF, tunnels, record);
    }

    /**
     * Makes strict again what a run that ended without {@link #restore} (a crash) recorded in {@code
     * record} and is still loose, and removes the record; returns those entries' names (none without a
     * record).
     */
    public static List<String> restoreRecorded(Path record) throws IOException {
        return restoreRecorded(CONF, record);
    }

    static List<String> restoreRecorded(Path conf, Path record) throws IOException {
        if (!Files.exists(record)) {
            return List.of();
        }
        List<String> names = Files.readAllLines(record, StandardCharsets.UTF_8).stream()
                .filter(name -> !name.isBlank())
                .toList();
        new ReversePathFilter(conf, names, record).restore();
        return names;
    }

    static ReversePathFilter loosen(Path conf, Set<String> tunnels, Path record) throws IOException {
        Map<String, Path> strict = new LinkedHashMap<>();
        try (var entries = Files.list(conf)) {
            for (Path entry : entries.sorted().toList()) {
                String name = entry.getFileName().toString();
                Path file = entry.resolve("rp_filter");
                if (!SKIPPED.contains(name)
                        && !tunnels.contains(name)
                        && Files.exists(file)
                        && Files.readString(file, StandardCharsets.US_ASCII)
                                .strip()
                                .equals(STRICT)) {
                    strict.put(name, file);
                }
            }
        }
        Path partial = record.resolveSibling(record.getFileName() + ".partial");
        Files.write(partial, strict.keySet(), StandardCharsets.UTF_8);
        Files.move(partial, record, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        List<String> done = new ArrayList<>();
        try {
            for (Map.Entry<String, Path> entry : strict.entrySet()) {
                write(entry.getValue(), LOOSE);
                done.add(entry.getKey());
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

    /** The entries made loose (interface names, {@code all}). */
    public List<String> loosened() {
        return loosened;
    }

    /**
     * Makes strict again what {@link #loosen} loosened and is still loose (someone who changed it meanwhile
     * keeps their value); an interface that went meanwhile is skipped. Then removes the record.
     */
    public void restore() throws IOException {
        for (String name : loosened) {
            Path file = conf.resolve(name).resolve("rp_filter");
            if (Files.exists(file)
                    && Files.readString(file, StandardCharsets.US_ASCII).strip().equals(LOOSE)) {
                write(file, STRICT);
            }
        }
        Files.deleteIfExists(record);
    }
}
