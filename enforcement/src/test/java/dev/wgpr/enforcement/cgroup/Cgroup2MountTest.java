package dev.wgpr.enforcement.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class Cgroup2MountTest {
    @Test
    void aHybridLayoutFindsTheUnifiedMountBesideTheV1Hierarchies() {
        Optional<Cgroup2Mount> mount = Cgroup2Mount.parse(List.of(
                "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755",
                "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu",
                "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd",
                "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw"));
        assertEquals(Path.of("/sys/fs/cgroup/unified"), mount.orElseThrow().path());
        assertTrue(mount.get().hybrid());
        assertEquals(List.of("cpu", "name=systemd"), mount.get().v1Hierarchies());
    }

    @Test
    void aUnifiedLayoutWithOptionalFieldsIsFound() {
        Optional<Cgroup2Mount> mount = Cgroup2Mount.parse(List.of(
                "25 30 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate",
                "26 30 0:24 / /proc rw shared:5 - proc proc rw"));
        assertEquals(Path.of("/sys/fs/cgroup"), mount.orElseThrow().path());
        assertFalse(mount.get().hybrid());
    }

    @Test
    void escapedMountPointsAreUnescaped() {
        Optional<Cgroup2Mount> mount =
                Cgroup2Mount.parse(List.of("41 31 0:38 / /mnt/my\\040cgroups rw - cgroup2 none rw"));
        assertEquals(Path.of("/mnt/my cgroups"), mount.orElseThrow().path());
    }

    @Test
    void noCgroup2MountIsEmpty() {
        assertTrue(Cgroup2Mount.parse(List.of("26 30 0:24 / /proc rw shared:5 - proc proc rw"))
                .isEmpty());
    }

    @Test
    void findAgreesWithFindmnt() throws Exception {
        Process findmnt = new ProcessBuilder("findmnt", "-n", "-t", "cgroup2", "-o", "TARGET").start();
        List<String> targets = new String(findmnt.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
                .lines()
                .toList();
        findmnt.waitFor();
        assertTrue(targets.contains(Cgroup2Mount.find().orElseThrow().path().toString()), targets.toString());
    }
}
