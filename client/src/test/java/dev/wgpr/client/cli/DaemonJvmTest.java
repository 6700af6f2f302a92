package dev.wgpr.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.daemon.Instance;
import dev.wgpr.testing.RequiresRoot;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DaemonJvmTest {
    @Test
    void theArchiveIsInTheCacheUnlessTheEnvironmentMovesItOrSaysNone() {
        assertEquals(Optional.of(DaemonJvm.DEFAULT_ARCHIVE), DaemonJvm.archive(Map.of()));
        assertEquals(
                Optional.of(Path.of("/srv/a.jsa")),
                DaemonJvm.archive(Map.of(DaemonJvm.ARCHIVE_VARIABLE, "/srv/a.jsa")));
        assertEquals(Optional.empty(), DaemonJvm.archive(Map.of(DaemonJvm.ARCHIVE_VARIABLE, "none")));
    }

    @Test
    void aMallocArenaLimitAlreadySetIsKept() {
        assertEquals("2", DaemonJvm.environment(Map.of()).get(DaemonJvm.MALLOC_ARENAS));
        assertEquals(
                "1", DaemonJvm.environment(Map.of(DaemonJvm.MALLOC_ARENAS, "1")).get(DaemonJvm.MALLOC_ARENAS));
    }

    @Test
    void largeMallocBlocksAreMappedOfTheirOwnUnlessTheEnvironmentChoseAThreshold() {
        assertEquals("131072", DaemonJvm.environment(Map.of()).get(DaemonJvm.MALLOC_MMAP_THRESHOLD));
        assertEquals(
                "65536",
                DaemonJvm.environment(Map.of(DaemonJvm.MALLOC_MMAP_THRESHOLD, "65536"))
                        .get(DaemonJvm.MALLOC_MMAP_THRESHOLD));
    }

    @Test
    @RequiresRoot
    void aMissingArchiveDirectoryIsCreatedForRootAlone(@TempDir Path dir) throws Exception {
        Path archive = dir.resolve("cache").resolve("daemon.jsa");

        assertTrue(DaemonJvm.prepareArchiveDirectory(archive));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(archive.getParent())));
    }

    @Test
    @RequiresRoot
    void anArchiveInADirectoryOthersMayWriteIsNotUsedAndTheDirectoryIsLeftAsItWas(@TempDir Path dir) throws Exception {
        Path shared = Files.createDirectory(dir.resolve("shared"));
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));

        assertFalse(DaemonJvm.prepareArchiveDirectory(shared.resolve("daemon.jsa")));
        assertEquals("rwxrwxrwx", PosixFilePermissions.toString(Files.getPosixFilePermissions(shared)));
    }

    @Test
    @RequiresRoot
    void anExistingDirectoryOfRootsThatOnlyRootWritesIsUsed(@TempDir Path dir) throws Exception {
        Path cache = Files.createDirectory(dir.resolve("cache"));
        Files.setPosixFilePermissions(cache, PosixFilePermissions.fromString("rwxr-xr-x"));

        assertTrue(DaemonJvm.prepareArchiveDirectory(cache.resolve("daemon.jsa")));
        assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(cache)));
    }

    @Test
    void everyRunRecordsItsClassesAndOnlyAnArchiveThatExistsIsMapped(@TempDir Path dir) throws Exception {
        Path archive = dir.resolve("daemon.jsa");
        Path classList = DaemonJvm.classList(archive, new Instance("work"));
        assertEquals(dir.resolve("daemon-work.classlist"), classList, "per instance, beside the archive");

        assertEquals(List.of("-XX:DumpLoadedClassList=" + classList), DaemonJvm.archiveOptions(archive, classList));

        Files.write(archive, new byte[] {1});
        assertEquals(
                List.of(
                        "-XX:SharedArchiveFile=" + archive,
                        "-XX:+VerifySharedSpaces",
                        "-XX:+UnlockDiagnosticVMOptions",
                        "-XX:ArchiveRelocationMode=0",
                        "-Xlog:cds=off",
                        "-XX:DumpLoadedClassList=" + classList),
                DaemonJvm.archiveOptions(archive, classList));
    }

    @Test
    void theArchiveIsDumpedWithTheObjectLayoutTheDaemonRunsWith() {
        assertEquals(
                List.of("-XX:+UseCompactObjectHeaders"),
                DaemonJvm.layoutOptions(List.of(
                        "java", "-Xmx64m", "-XX:+UseCompactObjectHeaders", "-XX:+UseCompactObjectHeadersX", "Main")));
        assertEquals(List.of(), DaemonJvm.layoutOptions(List.of("java", "-Xmx64m", "Main")));
    }

    @Test
    void eachDumpAsksForItsOwnAlignedBaseFarFromEverythingElse() {
        Set<String> bases = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            String base = DaemonJvm.randomBaseAddress();
            long address = Long.parseLong(base.substring(2), 16);
            assertEquals(0, address % (1L << 24), base);
            assertTrue(address >= 16L << 40 && address < 96L << 40, base);
            bases.add(base);
        }
        assertTrue(bases.size() > 95, "drawn, not fixed: " + bases.size());
    }

    @Test
    void theJvmTellsWhichArchiveItMapped(@TempDir Path dir) throws Exception {
        Path jdkArchive = Path.of(System.getProperty("java.home"), "lib", "server", "classes.jsa");
        assertTrue(DaemonJvm.isMapped(jdkArchive), "this test JVM runs with the JDK's default archive");
        Files.write(dir.resolve("daemon.jsa"), new byte[] {1});
        assertFalse(DaemonJvm.isMapped(dir.resolve("daemon.jsa")));
    }

    @Test
    void aDumpThatFailsLeavesNoArchiveNorPartOfOneRemovesTheListAndSaysWhy(@TempDir Path dir) throws Exception {
        Path archive = dir.resolve("gone").resolve("daemon.jsa"); // the dump cannot write there
        Path classList = Files.writeString(dir.resolve("daemon-work.classlist"), "java/lang/Object\n");
        StringWriter err = new StringWriter();

        DaemonJvm.refreshArchive(archive, classList, new PrintWriter(err, true));

        assertTrue(err.toString().contains("no class-data archive written: the dump exited"), err.toString());
        assertFalse(Files.exists(classList), "the list is removed");
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(List.of(), left.toList(), "nothing left beside it");
        }
    }
}
