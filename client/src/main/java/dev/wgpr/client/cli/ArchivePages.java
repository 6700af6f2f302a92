package dev.wgpr.client.cli;

import dev.wgpr.common.linux.Libc;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Gives back the resident pages of the class-data archive's read-only region once the daemon is ready. The
 * JVM reads that region whole while it starts ({@code -XX:+VerifySharedSpaces}'s checksum, and the kernel's
 * fault-around maps 64 KiB about every page the class loading touches), some 16 MiB, of which an idle
 * daemon then uses little. Mapped unrelocated ({@link DaemonJvm#archiveOptions}), the region is clean pages
 * of the file, private and never written (the JVM maps it read-only), so dropping them changes nothing the
 * JVM reads: a page used again is read again from the file, one page at a time ({@code MADV_RANDOM} turns
 * fault-around and read-ahead off for the region). They leave the page cache too ({@code MADV_PAGEOUT}):
 * a cached large folio (the dump writes the file in large ones) is mapped whole at a fault, whatever
 * {@code MADV_RANDOM} says, and the region came back at the first few faults. Only clean pages can be paged
 * out, hence the dump's fsync ({@link DaemonJvm#refreshArchive}). A relocated archive's region was written
 * while relocated: anonymous memory, mapped read-write, so not found here and left alone.
 */
final class ArchivePages {
    private ArchivePages() {}

    /** The read-only, private mappings of {@code archive} in {@code maps} (lines of /proc/PID/maps). */
    static List<long[]> readOnlyRegions(List<String> maps, Path archive) {
        return maps.stream()
                .filter(line -> isReadOnlyRegion(line, archive))
                .map(line -> {
                    String[] range = line.substring(0, line.indexOf(' ')).split("-");
                    return new long[] {Long.parseUnsignedLong(range[0], 16), Long.parseUnsignedLong(range[1], 16)};
                })
                .toList();
    }

    /** Whether {@code mapping}, a line of /proc/PID/maps or a mapping's first of smaps, is the region given back. */
    private static boolean isReadOnlyRegion(String mapping, Path archive) {
        return mapping.endsWith(" " + archive) && mapping.split("\\s+")[1].equals("r--p");
    }

    /** Resident KiB growth of the region after which it is given back again: a burst of class loading. */
    static final long REGROWTH_KIB = 1024;

    static final Duration CHECK_INTERVAL = Duration.ofSeconds(10);

    /** The line that starts a mapping in /proc/PID/smaps, before its fields. */
    private static final Pattern MAPPING = Pattern.compile("[0-9a-f]+-[0-9a-f]+ ");

    /**
     * Gives the region back now, and again each time it has grown by {@link #REGROWTH_KIB} since (the classes
     * an {@code up} loads fault in some 6 MiB of it), checked every {@link #CHECK_INTERVAL} on a daemon thread:
     * an idle daemon's few pages stay, so it is not made to read them again and again.
     */
    static void keepReleased(Path archive, PrintWriter err) {
        release(archive, err);
        Thread.ofPlatform().daemon().name("archive-pages").start(() -> {
            long after = residentKib(archive);
            while (after >= 0) {
                try {
                    Thread.sleep(CHECK_INTERVAL);
                } catch (InterruptedException e) {
                    return;
                }
                long now = residentKib(archive);
                if (now - after >= REGROWTH_KIB) {
                    release(archive, err);
                    now = residentKib(archive);
                }
                after = now;
            }
        });
    }

    /** The resident KiB of {@code archive}'s read-only region in this process, or -1 when unreadable. */
    static long residentKib(Path archive) {
        try {
            boolean inRegion = false;
            long kib = 0;
            for (String line : Files.readAllLines(Path.of("/proc/self/smaps"))) {
                if (MAPPING.matcher(line).lookingAt()) {
                    inRegion = isReadOnlyRegion(line, archive);
                } else if (inRegion && line.startsWith("Rss:")) {
                    kib += Long.parseLong(line.substring(4).strip().split("\\s+")[0]);
                }
            }
            return kib;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * Drops this process's resident pages of {@code archive}'s read-only region, and the file's from the page
     * cache; failures go to {@code err}. Evicting only the first time, and dropping only the mapping after, gave
     * back 6 MiB less (bench/daemon, idle with one tunnel: 62.3 MiB RSS rather than 56.4): pages come back
     * from the cache in larger folios than they left.
     */
    static void release(Path archive, PrintWriter err) {
        try {
            for (long[] region : readOnlyRegions(Files.readAllLines(Path.of("/proc/self/maps")), archive)) {
                MemorySegment start = MemorySegment.ofAddress(region[0]);
                long length = region[1] - region[0];
                Libc.madvise(start, length, Libc.MADV_RANDOM);
                // Out of the page cache too: the dump wrote the file in large folios, of which a fault
                // maps the whole (up to 2 MiB) whatever MADV_RANDOM says; read again, a page at a time.
                Libc.madvise(start, length, Libc.MADV_PAGEOUT);
                Libc.madvise(start, length, Libc.MADV_DONTNEED);
            }
        } catch (IOException e) { // ErrnoException too
            err.println("wg-pr daemon: the class-data archive's pages stay resident: " + e.getMessage());
        }
    }
}
