package dev.wgpr.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.testing.RequiresRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
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
}
