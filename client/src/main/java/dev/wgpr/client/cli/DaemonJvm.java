package dev.wgpr.client.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The JVM options and environment of the long-running daemon, beyond what every wg-pr JVM gets: given to
 * the daemon `wg-pr up` starts on demand ({@link DaemonClient}) and to the locked-down image the daemon
 * execs of itself ({@link DaemonCommand}), so a daemon started by systemd through the plain launcher gets
 * them too. They keep its memory small (issue 6: measured side by side by {@code bench/daemon}).
 *
 * <p>{@value #VARIABLE}, when set, replaces the options (for measuring other choices side by side); a
 * {@value #MALLOC_ARENAS} already set is kept.
 *
 * <p><b>The class-data archive.</b> Without one, the daemon spins some 700 method-handle classes (a dozen
 * per FFM downcall it links) and keeps them, their metadata and symbols for its whole life. The locked-down
 * image maps a dynamic CDS archive ({@link #archive}) in which the JVM pre-generated those forms and stored
 * the classes the daemon loaded; when the archive is missing, stale (another JDK, rebuilt jars) or damaged
 * (a CRC mismatch: {@code VerifySharedSpaces}), the JVM runs without and writes a new one at exit. Only
 * the locked-down image maps or writes it: what a confined daemon writes is read only by the next confined
 * daemon, never by an unconfined JVM, so a compromised daemon gains nothing it did not have.
 */
final class DaemonJvm {
    static final String VARIABLE = "WG_PR_DAEMON_JVM_OPTIONS";
    static final String MALLOC_ARENAS = "MALLOC_ARENA_MAX";

    /**
     * A small heap (the daemon's live set is a few MiB; the JVM would otherwise size it from the machine's
     * RAM and let eden grow to tens of MiB before collecting); C2 alone, without the tiered C1 stage,
     * whose profiled code of every warm method (a daemon has many, run a few times each) doubled the code
     * cache and metaspace, while the packet path ends in C2 code either way; and glibc's free native memory
     * (compiler arenas, libbpf's BTF parse) given back every 5 s rather than kept resident.
     */
    static final List<String> DEFAULT =
            List.of("-Xms8m", "-Xmx64m", "-XX:-TieredCompilation", "-XX:TrimNativeHeapInterval=5000");

    /**
     * Two malloc arenas rather than glibc's 8 per CPU: each thread that mallocs (compiler, packet and
     * control threads) would otherwise take an arena of its own whose freed chunks stay resident.
     */
    static final String DEFAULT_MALLOC_ARENAS = "2";

    static final String ARCHIVE_VARIABLE = "WG_PR_DAEMON_CLASS_ARCHIVE";
    /** Shared by every instance: they run the same classes. */
    static final Path DEFAULT_ARCHIVE = Path.of("/var/cache/wg-pr/daemon.jsa");

    private DaemonJvm() {}

    static List<String> options(Map<String, String> environment) {
        String override = environment.get(VARIABLE);
        if (override == null) {
            return DEFAULT;
        }
        return Arrays.stream(override.strip().split("\\s+"))
                .filter(option -> !option.isEmpty())
                .toList();
    }

    /** The daemon's environment: {@code environment} with {@value #MALLOC_ARENAS} set when it was not. */
    static Map<String, String> environment(Map<String, String> environment) {
        Map<String, String> daemon = new HashMap<>(environment);
        daemon.putIfAbsent(MALLOC_ARENAS, DEFAULT_MALLOC_ARENAS);
        return daemon;
    }

    /** Where the locked-down daemon's class-data archive is: {@value #ARCHIVE_VARIABLE} ("none": nowhere). */
    static Optional<Path> archive(Map<String, String> environment) {
        String chosen = environment.get(ARCHIVE_VARIABLE);
        if (chosen == null) {
            return Optional.of(DEFAULT_ARCHIVE);
        }
        return chosen.equals("none")
                ? Optional.empty()
                : Optional.of(Path.of(chosen).toAbsolutePath());
    }

    /** The options that map {@code archive} at start and write it at exit when it could not be mapped. */
    static List<String> archiveOptions(Path archive) {
        return List.of(
                "-XX:SharedArchiveFile=" + archive,
                "-XX:+AutoCreateSharedArchive",
                "-XX:+VerifySharedSpaces",
                "-Xlog:cds*=error"); // not the warning per class it leaves out (JFR events, hidden classes)
    }

    /**
     * Makes sure the archive's directory is root's alone before the lockdown names it in a rule: created
     * {@code rwx------} when missing; one that exists is used only when root owns it and nobody else may write
     * it, since whoever can write the archive runs code in the daemon.
     *
     * @return whether the archive may be used
     */
    static boolean prepareArchiveDirectory(Path archive) throws IOException {
        Path directory = archive.getParent();
        if (!Files.exists(directory, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(directory);
            Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwx------"));
            return true;
        }
        PosixFileAttributes attributes =
                Files.readAttributes(directory, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        Set<PosixFilePermission> permissions = attributes.permissions();
        return attributes.isDirectory()
                && attributes.owner().getName().equals("root")
                && !permissions.contains(PosixFilePermission.GROUP_WRITE)
                && !permissions.contains(PosixFilePermission.OTHERS_WRITE);
    }
}
