package dev.wgpr.routes;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * <p>Sysctls of the namespace of the calling thread's process ({@code /proc/sys/net} is per namespace).
 */
public final class ReversePathFilter {
    private static final String STRICT = "1";
    private static final String LOOSE = "2";
    /** Not interfaces ({@code default} only seeds new ones) or never the underlay. */
    private static final Set<String> SKIPPED = Set.of("default", "lo");

    private final Path conf;
    /** What was loosened: the conf directory's entry names. */
    private final List<String> loosened;

    private ReversePathFilter(Path conf, List<String> loosened) {
        this.conf = conf;
        this.loosened = List.copyOf(loosened);
    }

    /** Loosens every strict entry of {@code /proc/sys/net/ipv4/conf} but {@code tunnels}' own. */
    public static ReversePathFilter loosen(Set<String> tunnels) throws IOException {
        return loosen(Path.of("/proc/sys/net/ipv4/conf"), tunnels);
    }

    static ReversePathFilter loosen(Path conf, Set<String> tunnels) throws IOException {
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
        List<String> done = new ArrayList<>();
        try {
            for (Map.Entry<String, Path> entry : strict.entrySet()) {
                write(entry.getValue(), LOOSE);
                done.add(entry.getKey());
            }
        } catch (IOException | RuntimeException e) {
            try {
                new ReversePathFilter(conf, done).restore();
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        return new ReversePathFilter(conf, done);
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
     * keeps their value); an interface that went meanwhile is skipped.
     */
    public void restore() throws IOException {
        for (String name : loosened) {
            Path file = conf.resolve(name).resolve("rp_filter");
            if (Files.exists(file)
                    && Files.readString(file, StandardCharsets.US_ASCII).strip().equals(LOOSE)) {
                write(file, STRICT);
            }
        }
    }
}
