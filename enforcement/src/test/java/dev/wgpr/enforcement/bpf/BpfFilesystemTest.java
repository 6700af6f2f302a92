package dev.wgpr.enforcement.bpf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.common.linux.MountInfo;
import dev.wgpr.testing.RequiresRoot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** wg-pr mounts the bpffs its pins need where the host has none, and leaves an existing one alone. */
@RequiresRoot
class BpfFilesystemTest {
    @Test
    void aDirectoryWithoutBpffsGetsOneMountedOnceAndPinsWorkThere() throws Exception {
        Path dir = Files.createTempDirectory("wgpr-bpffs-");
        try {
            assertFalse(MountInfo.isMounted(dir, "bpf"));
            assertTrue(BpfFilesystem.ensureMounted(dir), "first call mounts");
            try {
                assertTrue(MountInfo.isMounted(dir, "bpf"));
                assertFalse(BpfFilesystem.ensureMounted(dir), "second call finds it mounted");
                Files.createDirectory(dir.resolve("pins")); // impossible on sysfs's empty directory
                Files.delete(dir.resolve("pins"));
            } finally {
                Process umount =
                        new ProcessBuilder("umount", dir.toString()).inheritIO().start();
                assertTrue(umount.waitFor(30, TimeUnit.SECONDS));
                assertEquals(0, umount.exitValue());
            }
            assertFalse(MountInfo.isMounted(dir, "bpf"));
        } finally {
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void aMissingDirectoryIsAnErrorThatNamesIt() {
        Path missing = Path.of("/nonexistent-wgpr-" + ProcessHandle.current().pid());
        IOException e = assertThrows(IOException.class, () -> BpfFilesystem.ensureMounted(missing));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    }
}
