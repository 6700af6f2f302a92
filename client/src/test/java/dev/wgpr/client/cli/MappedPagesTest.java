package dev.wgpr.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
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
    void onlyJdkFilesMappedReadOnlyWithNoPageOfTheProcesssOwnAreClean() {
        assertEquals(
                List.of(true, true, false, false, false, false),
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
                                        "7f0000700000-7f0000800000 r--p 00000000 fe:01 95 /usr/lib/jvm/jdk-other/lib/libnet.so",
                                        0))
                        .stream()
                        .map(mapping -> MappedPages.isCleanJdkFile(mapping, JAVA_HOME))
                        .toList());
    }

    @Test
    void givingBackThisJvmsPagesKeepsItRunning() throws IOException {
        StringWriter err = new StringWriter();
        MappedPages.release(Optional.of(Path.of("/nonexistent/daemon.jsa")), true, new PrintWriter(err, true));
        assertEquals("", err.toString());
        // Code and files used after are read again from the page cache.
        assertTrue(Files.readString(Path.of("/proc/self/status")).contains("VmRSS"));
        assertTrue(MappedPages.residentKib(Optional.empty()) >= 0);
    }
}
