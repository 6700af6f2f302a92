package dev.wgpr.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.common.linux.Libc;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;

class MappedPagesTest {
    private static final Optional<Path> ARCHIVE = Optional.of(Path.of("/var/cache/wg-pr/daemon.jsa"));
    private static final String JAVA_HOME = "/usr/lib/jvm/jdk";

    private static List<String> smaps(String header, int residentKib, int anonymousKib) {
        return List.of(header, "Size: 4096 kB", "Rss: " + residentKib + " kB", "Anonymous: " + anonymousKib + " kB");
    }

    private static MappedPages.Mapping mapping(String header, int anonymousKib) {
        return MappedPages.mappings(smaps(header, 8, anonymousKib)).getFirst();
    }

    @Test
    void smapsGivesEachMappingsRangeFileAndPages() {
        List<String> lines = new java.util.ArrayList<>(smaps(
                "7f0000200000-7f0000300000 r-xp 00000000 fe:01 98   /usr/lib/jvm/jdk/lib/server/libjvm.so", 12, 0));
        lines.addAll(smaps("7f0000300000-7f0000400000 rw-p 00000000 00:00 0 ", 40, 40));
        List<MappedPages.Mapping> mappings = MappedPages.mappings(lines);
        assertEquals(
                List.of(
                        new MappedPages.Mapping(
                                0x7f0000200000L, 0x7f0000300000L, "r-xp", JAVA_HOME + "/lib/server/libjvm.so", 12, 0),
                        new MappedPages.Mapping(0x7f0000300000L, 0x7f0000400000L, "rw-p", "", 40, 40)),
                mappings);
    }

    @Test
    void onlyTheArchivesReadOnlyPrivateRegionIsTheArchives() {
        assertTrue(MappedPages.isArchiveRegion(
                mapping("2a5f404ad000-2a5f40d95000 r--p 004ad000 fe:01 1234   /var/cache/wg-pr/daemon.jsa", 0),
                ARCHIVE));
        assertEquals(
                List.of(false, false, false),
                List.of(
                        MappedPages.isArchiveRegion(
                                mapping(
                                        "2a5f40001000-2a5f404ad000 rw-p 00001000 fe:01 1234 /var/cache/wg-pr/daemon.jsa",
                                        0),
                                ARCHIVE),
                        MappedPages.isArchiveRegion(
                                mapping(
                                        "7f0000000000-7f0000100000 r--p 00000000 fe:01 99 /var/cache/wg-pr/daemon.jsa.old",
                                        0),
                                ARCHIVE),
                        MappedPages.isArchiveRegion(
                                mapping(
                                        "2a5f404ad000-2a5f40d95000 r--p 004ad000 fe:01 1234 /var/cache/wg-pr/daemon.jsa",
                                        0),
                                Optional.empty())));
    }

    @Test
    void onlyJdkAndGlibcFilesMappedReadOnlyWithNoPageOfTheProcesssOwnAreClean() {
        assertEquals(
                List.of(true, true, false, false, true, true, false, false, false),
                List.of(
                                mapping(
                                        "7f0000200000-7f0000300000 r-xp 00000000 fe:01 98 /usr/lib/jvm/jdk/lib/server/libjvm.so",
                                        0),
                                mapping(
                                        "7f0000300000-7f0000400000 r--s 00000000 fe:01 97 /usr/lib/jvm/jdk/lib/modules",
                                        0),
                                // libjvm's .data.rel.ro: relocated, then made read-only
                                mapping(
                                        "7f0000400000-7f0000500000 r--p 00000000 fe:01 98 /usr/lib/jvm/jdk/lib/server/libjvm.so",
                                        8),
                                mapping(
                                        "7f0000500000-7f0000600000 rw-p 00000000 fe:01 98 /usr/lib/jvm/jdk/lib/server/libjvm.so",
                                        0),
                                mapping(
                                        "7f0000600000-7f0000700000 r-xp 00000000 fe:01 96 /usr/lib/x86_64-linux-gnu/libc.so.6",
                                        0),
                                mapping(
                                        "7f0000680000-7f0000690000 r--p 00000000 fe:01 94 /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
                                        0),
                                // a library a binding loaded, which it may unload: its addresses could be reused
                                mapping(
                                        "7f00006a0000-7f00006b0000 r-xp 00000000 fe:01 93 /usr/lib/x86_64-linux-gnu/libsodium.so.23.3.0",
                                        0),
                                mapping(
                                        "7f00006c0000-7f00006d0000 r-xp 00000000 fe:01 92 /opt/libc.so.6.d/libbpf.so.1",
                                        0),
                                mapping(
                                        "7f0000700000-7f0000800000 r--p 00000000 fe:01 95 /usr/lib/jvm/jdk-other/lib/libnet.so",
                                        0))
                        .stream()
                        .map(mapping -> MappedPages.isCleanRuntimeFile(mapping, JAVA_HOME))
                        .toList());
    }

    @Test
    void givingBackThisJvmsPagesKeepsItRunning() throws IOException {
        StringWriter err = new StringWriter();
        MappedPages.release(Optional.of(Path.of("/nonexistent/daemon.jsa")), true, new PrintWriter(err, true));
        assertEquals("", err.toString());
        // Code and files used after are read again from the page cache.
        assertTrue(Files.readString(Path.of("/proc/self/status")).contains("VmRSS"));
        assertEquals(List.of(), MappedPages.archiveRegions(Optional.empty()));
        assertEquals(0, MappedPages.residentKib(List.of()));
    }

    @Test
    void thePagesAreGivenBackAtReadyAndOnceASettleAfterTheLatestOfCloseChangesOfTheTunnels() throws Exception {
        List<Long> releasesWithJdkFiles = new CopyOnWriteArrayList<>();
        MappedPages.Keeper keeper = keeperRecording(releasesWithJdkFiles, () -> 7); // a compiler that does nothing

        keeper.start();
        assertEquals(1, releasesWithJdkFiles.size(), "given back at once when the daemon is ready");

        keeper.tunnelsChanged();
        Thread.sleep(MappedPages.SETTLE.toMillis() / 2);
        long latestChange = System.nanoTime();
        keeper.tunnelsChanged(); // a script's second up, before the first one's release
        long deadline = latestChange + MappedPages.SETTLE.toNanos() * 5;
        while (releasesWithJdkFiles.size() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(2, releasesWithJdkFiles.size(), "given back after the changes");
        assertTrue(
                releasesWithJdkFiles.get(1) - latestChange >= MappedPages.SETTLE.toNanos(),
                "not before a settle after the latest change");
        Thread.sleep(MappedPages.SETTLE.toMillis() * 2);
        assertEquals(2, releasesWithJdkFiles.size(), "once for both changes");
    }

    @Test
    void afterAChangeThePagesWaitForTheCompilerToBeQuiet() throws Exception {
        List<Long> releasesWithJdkFiles = new CopyOnWriteArrayList<>();
        AtomicLong readings = new AtomicLong();
        int busyReadings = 3; // the compiler used CPU between each of its first readings
        MappedPages.Keeper keeper =
                keeperRecording(releasesWithJdkFiles, () -> Math.min(readings.incrementAndGet(), busyReadings + 1));
        keeper.start();

        long changed = System.nanoTime();
        keeper.tunnelsChanged();
        long deadline = changed
                + MappedPages.SETTLE
                        .plus(MappedPages.COMPILER_QUIET.multipliedBy(10))
                        .toNanos();
        while (releasesWithJdkFiles.size() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }

        assertEquals(2, releasesWithJdkFiles.size(), "given back once the compiler is quiet");
        assertTrue(
                releasesWithJdkFiles.get(1) - changed
                        >= MappedPages.SETTLE
                                .plus(MappedPages.COMPILER_QUIET.multipliedBy(busyReadings))
                                .toNanos(),
                "not while the compiler works");
    }

    /** A keeper that gives nothing back but records when it would have, with the JDK's files, in {@code releases}. */
    private static MappedPages.Keeper keeperRecording(List<Long> releases, LongSupplier compilerTicks) {
        return new MappedPages.Keeper(
                Optional.of(Path.of("/nonexistent/daemon.jsa")),
                new PrintWriter(new StringWriter(), true),
                (archive, jdkFiles, err) -> {
                    if (jdkFiles) {
                        releases.add(System.nanoTime());
                    }
                },
                compilerTicks);
    }

    @Test
    void theCompilersCpuTimeIsReadFromItsThreadsStat() {
        assertEquals(
                17 + 4,
                MappedPages.cpuTicks("4242 (C2 CompilerThre) S 1 4200 4200 0 -1 4194368 1234 0 0 0 17 4 0 0 20 0"));
        assertEquals(
                30 + 2,
                MappedPages.cpuTicks("4243 (a (tricky) name) R 1 4200 4200 0 -1 4194368 1234 0 0 0 30 2 0 0 20 0"));
        assertTrue(MappedPages.isCompilerThread("C2 CompilerThre"));
        assertTrue(MappedPages.isCompilerThread("C1 CompilerThre"));
        assertEquals(false, MappedPages.isCompilerThread("wg-udp-corp0"));
        assertTrue(MappedPages.compilerTicks() >= 0, "this JVM's compiler threads are readable");
    }

    @Test
    void theRegionsResidentPagesAreCountedWithMincore() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment region = Libc.mapAnonymous(64 * 4096, arena);
            region.asSlice(0, 16 * 4096).fill((byte) 1);

            assertEquals(16 * 4, MappedPages.residentKib(List.of(region)));
        }
    }
}
