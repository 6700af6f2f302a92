package dev.wgpr.client.cli;

import dev.wgpr.client.daemon.Instance;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The JVM options and environment of the long-running daemon, beyond what every wg-pr JVM gets: given to
 * the daemon `wg-pr up` starts on demand ({@link DaemonClient}) and to the locked-down image the daemon
 * execs of itself ({@link DaemonCommand}), so a daemon started by systemd through the plain launcher gets
 * them too. They keep its memory small (measured side by side by {@code bench/daemon}).
 *
 * <p>{@value #VARIABLE}, when set, replaces the options (for measuring other choices side by side); a
 * {@value #MALLOC_ARENAS} or {@value #MALLOC_MMAP_THRESHOLD} already set is kept.
 *
 * <p><b>The class-data archive.</b> Without one, the daemon maps the JDK's default archive (13.6 MiB, resident
 * whole: relocated for ASLR, it is written to at start) and spins some 700 method-handle classes (a dozen per
 * FFM downcall it links) that it keeps for its whole life. The locked-down image maps instead a static archive
 * of exactly the classes a daemon loads ({@link #archive}), JDK and wg-pr alike, with those forms
 * pre-generated: some 3.5 MiB less than the default archive plus a dynamic one on top (
 * {@code bench/daemon}). Every locked-down run records the classes it loads ({@link #classList}); a run that
 * had no archive mapped (none yet, or one the JVM refused: another JDK, rebuilt jars, a failed checksum) dumps
 * one from its list at its orderly stop ({@link #refreshArchive}). Only locked-down daemons write, dump or map
 * it, and the dump runs in the stopping daemon's confinement: what a compromised daemon could put in the
 * archive runs only in the next confined daemon, so it gains nothing it did not have.
 *
 * <p>The archive is mapped where its dump asked ({@code -XX:ArchiveRelocationMode=0}), not relocated to a
 * random address at each start as the JVM does by default: relocating writes the pointers all through it, so
 * its 25 MiB were resident and dirty for the daemon's whole life. Unrelocated, its read-only region (16 MiB)
 * stays clean pages of the file, which {@link MappedPages} gives back once the daemon is ready and after each
 * burst of class loading: idle with one tunnel, 69.1 MiB RSS relocated, 57.1 and 56.6 so; idle with none,
 * 60.4 and 48.4 (bench/daemon, warm, same run; 0.88 Gbit/s and 3,856 handshakes/s relocated, 1.00 and 0.80
 * Gbit/s, 3,932 and 3,725 handshakes/s so: within the run's noise). The address randomization that
 * costs is kept per install rather than per start: each dump asks for a base of its own
 * ({@link #randomBaseAddress}), which only root may read (the archive's directory is root's alone).
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
     *
     * <p>Measured and not kept ({@code bench/daemon}, idle with one tunnel, warm: 66.9 MiB RSS with these,
     * before the archive was mapped unrelocated): {@code -XX:ArchiveRelocationMode=0} alone, 66.8 (and 68.3
     * without {@code -XX:+VerifySharedSpaces}): the JVM faults the archive's read-only region in whole as it
     * starts, clean rather than dirty but as resident, until {@link MappedPages} gives it back.
     * {@code -Xms4m -XX:MaxHeapFreeRatio=30 -XX:MinHeapFreeRatio=10}, 66.3: the young generation shrinks by
     * 1.3 MiB, the old one grows as much. {@code -Xshare:off}, 68.8: the classes' metadata costs as much in metaspace, and the method-handle
     * classes are spun again. {@code -Xmn2m}, 67.4. C1 alone would keep the JDK's ChaCha20-Poly1305
     * intrinsics out of the packet path.
     *
     * <p>Measured and not kept later ({@code bench/daemon 3 5}, warm, rows of one run beside the built-in
     * choice; 2 CPUs at load averages of 6 to 10, where the idle RSS with one tunnel of the same options
     * moved by up to 12 MiB from row to row: a malloc arena of 3.7 to 18.9 MiB, what the compiler and
     * {@code up} left in it before the next trim, most of it while {@link MappedPages}' periodic check, which
     * parsed /proc/self/smaps then, was being compiled; the idle RSS with no tunnel moved by about 1 MiB):
     * {@code -XX:+UseCompactObjectHeaders} (with an archive dumped so, {@link #layoutOptions}), 50.5 MiB against
     * 50.2 (43.6 and 43.0 with no tunnel): the live heap is a few MiB and the archive's written region grew
     * from 9.1 to 10.6 MiB. {@code -Xss256k}, 59.8 (42.3 with no tunnel): a stack is resident only as deep as
     * its thread ran. {@code -Xmn1m}, 58.1 against 62.2: the old generation grew to 11 MiB instead.
     * {@value #MALLOC_ARENAS}=1, 55.5 against 62.2 (42.8 and 42.9 with no tunnel): within the noise, and
     * the threads would share one arena's lock. Not run: {@code -XX:CICompilerCount=1} (without tiered
     * compilation two CPUs already get one C2 thread), {@code -XX:-UsePerfData} (the locked-down image has
     * it), a smaller {@code -XX:ReservedCodeCacheSize} (of the reservation only the 2 MiB of code used are
     * resident). Native memory tracking could not be read from the locked-down daemon (jcmd's attach
     * times out in its confinement); smaps instead, idle with one tunnel: libjvm 18 MiB before
     * {@link MappedPages} gave it back, 12.3 after, the archive's written region 9, the heap 9 (eden 2.7, the
     * old generation 6 to 8), malloc 4 to 19, the code cache 2, metaspace 2.3; 25 threads, 12 of them wg-pr's.
     */
    static final List<String> DEFAULT =
            List.of("-Xms8m", "-Xmx64m", "-XX:-TieredCompilation", "-XX:TrimNativeHeapInterval=5000");

    /**
     * Two malloc arenas rather than glibc's 8 per CPU: each thread that mallocs (compiler, packet and
     * control threads) would otherwise take an arena of its own whose freed chunks stay resident.
     */
    static final String DEFAULT_MALLOC_ARENAS = "2";

    static final String MALLOC_MMAP_THRESHOLD = "MALLOC_MMAP_THRESHOLD_";

    /**
     * glibc's own 128 KiB, but set: set at all, it turns off glibc's adjustment which, once a large mapped
     * block is freed, raises the mmap threshold to that block's size and the trim threshold to twice it (up to
     * 64 MiB), after which an arena keeps that much freed memory resident at its top. In the daemon that was
     * 27 MiB of freed, zeroed pages in one arena after `up` (bench/daemon, idle with one tunnel, warm: 94 MiB
     * RSS unset, 67 MiB set; 67 MiB too with 32 MiB set, so the value matters less than setting it). A block
     * this large is then a mapping of its own, unmapped at its free; the packet path allocates none (its
     * buffers are mapped once per tunnel).
     */
    static final String DEFAULT_MALLOC_MMAP_THRESHOLD = "131072";

    static final String ARCHIVE_VARIABLE = "WG_PR_DAEMON_CLASS_ARCHIVE";
    /** Shared by every instance: they run the same classes. */
    static final Path DEFAULT_ARCHIVE = Path.of("/var/cache/wg-pr/daemon.jsa");
    /** A dump takes a few seconds (4 s on 2 busy cores); systemd waits 90 s for a stop. */
    static final Duration DUMP_TIMEOUT = Duration.ofSeconds(60);

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

    /**
     * The daemon's environment: {@code environment} with {@value #MALLOC_ARENAS} and
     * {@value #MALLOC_MMAP_THRESHOLD} set when they were not.
     */
    static Map<String, String> environment(Map<String, String> environment) {
        Map<String, String> daemon = new HashMap<>(environment);
        daemon.putIfAbsent(MALLOC_ARENAS, DEFAULT_MALLOC_ARENAS);
        daemon.putIfAbsent(MALLOC_MMAP_THRESHOLD, DEFAULT_MALLOC_MMAP_THRESHOLD);
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

    /** Where a locked-down run of {@code instance} records the classes it loads, beside {@code archive}. */
    static Path classList(Path archive, Instance instance) {
        return archive.resolveSibling("daemon-" + instance.name() + ".classlist");
    }

    /**
     * The options of the locked-down image: map {@code archive} when there is one (the JVM runs without one it
     * refuses), and record the classes this run loads into {@code classList}.
     */
    static List<String> archiveOptions(Path archive, Path classList) {
        List<String> options = new ArrayList<>();
        if (Files.isRegularFile(archive, LinkOption.NOFOLLOW_LINKS)) {
            options.add("-XX:SharedArchiveFile=" + archive);
            options.add("-XX:+VerifySharedSpaces");
            // Mapped where it was dumped, not relocated: its read-only region then stays clean file pages,
            // which MappedPages gives back once the daemon is ready. The base is the dump's random one.
            options.add("-XX:+UnlockDiagnosticVMOptions");
            options.add("-XX:ArchiveRelocationMode=0");
            // An archive of another build (wg-pr or the JDK upgraded) is not mapped, and this run dumps
            // the next one at its stop: expected, so not an error in the log.
            options.add("-Xlog:cds=off");
        }
        options.add("-XX:DumpLoadedClassList=" + classList);
        return options;
    }

    /**
     * At the orderly stop of a locked-down daemon: when this JVM had no {@code archive} mapped, dumps one of
     * the classes in {@code classList} (what this run loaded) for the next start; the list is removed either
     * way. The dumping JVM is this daemon's child and so inherits its confinement; it writes a file of its own
     * and renames it over {@code archive}, so a daemon that has the old one mapped keeps it. Failures are
     * reported on {@code err} and leave the next start without an archive, as this one was.
     */
    static void refreshArchive(Path archive, Path classList, PrintWriter err) {
        try {
            if (!isMapped(archive) && Files.isRegularFile(classList, LinkOption.NOFOLLOW_LINKS)) {
                dumpArchive(archive, classList, err);
            }
        } catch (IOException e) {
            err.println("wg-pr daemon: no class-data archive written: " + e.getMessage());
        } finally {
            try {
                Files.deleteIfExists(classList);
            } catch (IOException e) {
                err.println("wg-pr daemon: " + classList + " not removed: " + e.getMessage());
            }
        }
    }

    private static void dumpArchive(Path archive, Path classList, PrintWriter err) throws IOException {
        Path partial = archive.resolveSibling(
                archive.getFileName() + "." + ProcessHandle.current().pid() + ".partial");
        try {
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xshare:dump",
                    "-XX:SharedClassListFile=" + classList,
                    "-XX:SharedArchiveFile=" + partial,
                    "-XX:SharedBaseAddress=" + randomBaseAddress(),
                    // As the daemon runs (the archived heap objects are the serial collector's).
                    "-XX:+UseSerialGC",
                    "-XX:-UsePerfData",
                    "--enable-native-access=ALL-UNNAMED"));
            command.addAll(layoutOptions(
                    List.of(ProcessHandle.current().info().arguments().orElse(new String[0]))));
            command.addAll(List.of("-cp", System.getProperty("java.class.path")));
            Process dump = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            boolean done = dump.waitFor(DUMP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            if (!done) {
                dump.destroyForcibly();
                err.println("wg-pr daemon: no class-data archive written: the dump took over " + DUMP_TIMEOUT);
            } else if (dump.exitValue() != 0) {
                err.println("wg-pr daemon: no class-data archive written: the dump exited " + dump.exitValue());
            } else {
                // On disk before it replaces the old one: a crash then leaves one or the other whole, and
                // the next daemon finds its pages clean, which MappedPages can only then give back.
                try (FileChannel written = FileChannel.open(partial, StandardOpenOption.WRITE)) {
                    written.force(true);
                }
                Files.move(partial, archive, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            Files.deleteIfExists(partial);
        }
    }

    /**
     * The options among {@code cmdline} (this JVM's) that an archive must be dumped with for a JVM started so
     * to map it: the object layout it records.
     */
    static List<String> layoutOptions(List<String> cmdline) {
        return cmdline.stream()
                .filter(option -> option.matches("-XX:[+-]UseCompactObjectHeaders"))
                .toList();
    }

    /**
     * Where a dumped archive asks to be mapped: 16 MiB-aligned (what the JVM rounds a base to) between 16 and
     * 96 TiB, far from the heap, the libraries and the stacks, drawn for each dump: 2^22 places, so the
     * unrelocated archive's address is that install's secret rather than the JVM's fixed default.
     */
    static String randomBaseAddress() {
        long alignment = 1L << 24;
        long low = 16L << 40;
        long high = 96L << 40;
        long slot = new SecureRandom().nextLong((high - low) / alignment);
        return "0x" + Long.toHexString(low + slot * alignment);
    }

    /** Whether this JVM mapped {@code archive} (a refused one is not in its address space). */
    static boolean isMapped(Path archive) throws IOException {
        String suffix = " " + archive;
        try (Stream<String> mappings = Files.lines(Path.of("/proc/self/maps"))) {
            return mappings.anyMatch(line -> line.endsWith(suffix));
        }
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
