package dev.wgpr.common.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class MountInfoTest {
    @Test
    void aLineGivesItsMountPointTypeAndSuperOptionsAfterTheOptionalFields() {
        List<MountInfo> mounts = MountInfo.parse(
                List.of("35 24 0:30 / /sys/fs/bpf rw,nosuid,nodev,noexec,relatime shared:14 - bpf bpf rw,mode=700"));
        assertEquals(List.of(new MountInfo(Path.of("/sys/fs/bpf"), "bpf", "rw,mode=700")), mounts);
    }

    @Test
    void escapedSpacesInTheMountPointAreUnescaped() {
        assertEquals(
                Path.of("/mnt/my pins"),
                MountInfo.parse(List.of("41 31 0:38 / /mnt/my\\040pins rw - bpf none rw"))
                        .getFirst()
                        .mountPoint());
    }

    @Test
    void linesOfAnotherShapeAreSkipped() {
        assertTrue(MountInfo.parse(List.of("", "garbage", "1 2 3 4 5 - x")).isEmpty());
    }
}
