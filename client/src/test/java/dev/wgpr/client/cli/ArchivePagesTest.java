package dev.wgpr.client.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ArchivePagesTest {
    private static final Path ARCHIVE = Path.of("/var/cache/wg-pr/daemon.jsa");

    @Test
    void onlyTheArchivesReadOnlyPrivateRegionIsGivenBack() {
        List<String> maps = List.of(
                "2a5f40001000-2a5f404ad000 rw-p 00001000 fe:01 1234   /var/cache/wg-pr/daemon.jsa",
                "2a5f404ad000-2a5f40d95000 r--p 004ad000 fe:01 1234   /var/cache/wg-pr/daemon.jsa",
                "7f0000000000-7f0000100000 r--p 00000000 fe:01 99     /var/cache/wg-pr/daemon.jsa.old",
                "7f0000200000-7f0000300000 r--p 00000000 fe:01 98     /usr/lib/jvm/lib/server/libjvm.so");
        List<long[]> regions = ArchivePages.readOnlyRegions(maps, ARCHIVE);
        assertEquals(1, regions.size());
        assertArrayEquals(new long[] {0x2a5f404ad000L, 0x2a5f40d95000L}, regions.getFirst());
    }

    @Test
    void anArchiveThisJvmDidNotMapIsNoError() {
        StringWriter err = new StringWriter();
        ArchivePages.release(Path.of("/nonexistent/daemon.jsa"), new PrintWriter(err, true));
        assertEquals("", err.toString());
    }
}
