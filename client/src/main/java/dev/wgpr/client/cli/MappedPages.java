package dev.wgpr.client.cli;

import dev.wgpr.common.linux.Libc;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Gives back, once the daemon is ready, the resident pages of files it mapped read-only and never wrote, of
 * which an idle daemon uses little: the class-data archive's read-only region and the JVM's libraries.
 * Such pages are the file's, unchanged, so dropping them changes nothing the JVM reads: a page used again
 * is mapped again from the page cache (or read again from the file).
 *
 * <p><b>The archive.</b> The JVM reads its read-only region whole while it starts
 * ({@code -XX:+VerifySharedSpaces}'s checksum, and the kernel's fault-around maps 64 KiB about every page
 * the class loading touches), some 16 MiB. Mapped unrelocated ({@link DaemonJvm#archiveOptions}), the region
 * is clean pages of the file, private and never written (the JVM maps it read-only); {@code MADV_RANDOM}
 * turns read-ahead off for it, and its pages leave the page cache too ({@code MADV_PAGEOUT}): a cached large
 * folio (the dump writes the file in large ones) is mapped whole at a fault, and the region came back at the
 * first few faults. Only clean pages can be paged out, hence the dump's fsync ({@link
 * DaemonJvm#refreshArchive}). A relocated archive's region was written while relocated: anonymous memory,
 * mapped read-write, so not found here and left alone.
 *
 * <p><b>The JDK's files.</b> The JVM's start, its class loading and its compiler run through most of
 * libjvm's 13 MiB of code and 4 MiB of read-only data, all resident in an idle daemon before; less of it is
 * used after: given back, libjvm is some 12.3 MiB resident at idle with one tunnel rather than 18 (about 10.5
 * of code, which an idle JVM faults in again within seconds, and 1.8 of data). bench/daemon, warm, idle with
 * one tunnel: 55.1 and 56.0 MiB RSS before; 53.2 once given back only at ready (run 20261207T152606Z-daemon,
 * load 2, with 1.02 Gbit/s and 5,272 handshakes/s in the same row), with no tunnel 45.0 (47.6 and 47.9
 * before). (48.4 to 50.2 when they were given back again every 10 s: sampled just after a release, before
 * the JVM faulted its running code back in.) {@code MADV_RANDOM}
 * on libjvm as well changed nothing (10.2 and 10.5 MiB of its code resident at idle, two rows): what comes
 * back is what the JVM runs, not read-ahead. Its mappings and those of the JDK's
 * other files (its libraries, the modules image) that the JVM mapped without write access and that have no
 * page of the process's own (no anonymous pages: libjvm's {@code .data.rel.ro}, relocated before it was
 * made read-only, has some, and is left alone) are only dropped from this process: they stay in the page
 * cache, where the machine's other JVMs (the CLI, the launch helper) find them. Only the JDK's: it never
 * unmaps them, so a mapping read from smaps is still the same when it is given back (a library a binding
 * closed could be unmapped in between, and its addresses reused by memory the daemon wrote).
 */
final class MappedPages {
    private MappedPages() {}

    /** A mapping of /proc/PID/smaps: its range, permissions, file, and resident and anonymous KiB. */
    record Mapping(long start, long end, String permissions, String path, long residentKib, long anonymousKib) {}

    /** The line that starts a mapping in /proc/PID/smaps, before its fields. */
    private static final Pattern MAPPING = Pattern.compile("([0-9a-f]+)-([0-9a-f]+) (\\S+) \\S+ \\S+ \\S+ *(.*)");

    /** The mappings of {@code smaps}, the lines of /proc/PID/smaps. */
    static List<Mapping> mappings(List<String> smaps) {
        List<Mapping> mappings = new ArrayList<>();
        Matcher header = null;
        long resident = 0;
        long anonymous = 0;
        for (String line : smaps) {
            Matcher next = MAPPING.matcher(line);
            if (next.matches()) {
                if (header != null) {
                    mappings.add(mapping(header, resident, anonymous));
                }
                header = next;
                resident = 0;
                anonymous = 0;
            } else if (line.startsWith("Rss:")) {
                resident = kib(line);
            } else if (line.startsWith("Anonymous:")) {
                anonymous = kib(line);
            }
        }
        if (header != null) {
            mappings.add(mapping(header, resident, anonymous));
        }
        return mappings;
    }

    private static Mapping mapping(Matcher header, long resident, long anonymous) {
        return new Mapping(
                Long.parseUnsignedLong(header.group(1), 16),
                Long.parseUnsignedLong(header.group(2), 16),
                header.group(3),
                header.group(4).strip(),
                resident,
                anonymous);
    }

    private static long kib(String field) {
        return Long.parseLong(field.substring(field.indexOf(':') + 1).strip().split("\\s+")[0]);
    }

    /** Whether {@code mapping} is {@code archive}'s read-only region. */
    static boolean isArchiveRegion(Mapping mapping, Optional<Path> archive) {
        return archive.isPresent()
                && mapping.path().equals(archive.get().toString())
                && mapping.permissions().equals("r--p");
    }

    /**
     * Whether {@code mapping} is clean pages of a JDK file (under {@code javaHome}): mapped without write
     * access, none of its pages the process's own.
     */
    static boolean isCleanJdkFile(Mapping mapping, String javaHome) {
        return mapping.path().startsWith(javaHome + "/")
                && mapping.permissions().charAt(1) != 'w'
                && mapping.anonymousKib() == 0;
    }

    /** Resident KiB growth of what is given back after which it is given back again: a burst of work. */
    static final long REGROWTH_KIB = 1024;

    static final Duration CHECK_INTERVAL = Duration.ofSeconds(10);

    /**
     * Gives the pages back now; the archive's again each time they have grown by {@link #REGROWTH_KIB} since
     * (the classes an {@code up} loads fault in some 6 MiB of the archive), checked every {@link
     * #CHECK_INTERVAL} on a daemon thread: an idle daemon's few pages stay, so it is not made to fault them
     * in again and again. The JDK's files only now: of libjvm, what the running JVM needs comes back within
     * seconds and is then used, and given back each time it would be faulted in again each time.
     */
    static void keepReleased(Optional<Path> archive, PrintWriter err) {
        release(archive, true, err);
        Thread.ofPlatform().daemon().name("mapped-pages").start(() -> {
            long after = residentKib(archive);
            while (after >= 0) {
                try {
                    Thread.sleep(CHECK_INTERVAL);
                } catch (InterruptedException e) {
                    return;
                }
                long now = residentKib(archive);
                if (now - after >= REGROWTH_KIB) {
                    release(archive, false, err);
                    now = residentKib(archive);
                }
                after = now;
            }
        });
    }

    private static String javaHome() {
        return Path.of(System.getProperty("java.home"))
                .toAbsolutePath()
                .normalize()
                .toString();
    }

    /** The resident KiB of the archive's read-only region in this process, or -1 when unreadable. */
    static long residentKib(Optional<Path> archive) {
        try {
            return mappings(Files.readAllLines(Path.of("/proc/self/smaps"))).stream()
                    .filter(mapping -> isArchiveRegion(mapping, archive))
                    .mapToLong(Mapping::residentKib)
                    .sum();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * Drops this process's resident pages of {@code archive}'s read-only region, and the file's from the page
     * cache, and, {@code jdkFiles}, this process's of the clean JDK file mappings; failures go to {@code err}. Evicting the
     * archive only the first time, and dropping only the mapping after, gave back 6 MiB less (bench/daemon,
     * idle with one tunnel: 62.3 MiB RSS rather than 56.4): pages come back from the cache in larger folios
     * than they left.
     */
    static void release(Optional<Path> archive, boolean jdkFiles, PrintWriter err) {
        try {
            String javaHome = javaHome();
            for (Mapping mapping : mappings(Files.readAllLines(Path.of("/proc/self/smaps")))) {
                MemorySegment start = MemorySegment.ofAddress(mapping.start());
                long length = mapping.end() - mapping.start();
                if (isArchiveRegion(mapping, archive)) {
                    Libc.madvise(start, length, Libc.MADV_RANDOM);
                    // Out of the page cache too: the dump wrote the file in large folios, of which a fault
                    // maps the whole (up to 2 MiB) whatever MADV_RANDOM says; read again, a page at a time.
                    Libc.madvise(start, length, Libc.MADV_PAGEOUT);
                    Libc.madvise(start, length, Libc.MADV_DONTNEED);
                } else if (jdkFiles && mapping.residentKib() > 0 && isCleanJdkFile(mapping, javaHome)) {
                    Libc.madvise(start, length, Libc.MADV_DONTNEED);
                }
            }
        } catch (IOException e) { // ErrnoException too
            err.println("wg-pr daemon: the mapped files' pages stay resident: " + e.getMessage());
        }
    }
}
