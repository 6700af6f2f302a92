package dev.wgpr.enforcement.bpf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.enforcement.cgroup.Cgroup2Mount;
import dev.wgpr.enforcement.cgroup.ScratchCgroup;
import dev.wgpr.testing.RequiresRoot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Attaching the probe to a scratch cgroup, checked with libbpf's query and with bpftool. */
@RequiresRoot
class CgroupAttachTest {
    @Test
    void probeConnect4AttachesToAScratchCgroupAndLeavesNothingAfterClose() throws Exception {
        Path cgroup2 = Cgroup2Mount.find().orElseThrow().path();
        Path dir;
        try (ScratchCgroup scratch = ScratchCgroup.create(cgroup2, "wg-pr-test");
                BpfObject probe = BpfObject.openBundled("probe")) {
            dir = scratch.path();
            probe.load();
            BpfProgram connect4 = probe.program("probe_connect4");
            try (BpfLink link = connect4.attachCgroup(dir)) {
                assertTrue(link.fd() > 2);
                assertEquals(List.of(connect4.id()), Bpf.attachedPrograms(dir, Bpf.AttachType.CGROUP_INET4_CONNECT));
                assertEquals(List.of(), Bpf.attachedPrograms(dir, Bpf.AttachType.CGROUP_INET6_CONNECT));
                String shown = bpftoolCgroupShow(dir);
                assertTrue(shown.contains("connect4") && shown.contains(String.valueOf(connect4.id())), shown);
            }
            assertEquals(List.of(), Bpf.attachedPrograms(dir, Bpf.AttachType.CGROUP_INET4_CONNECT));
            assertEquals("", bpftoolCgroupShow(dir));
        }
        assertFalse(Files.exists(dir), dir + " removed");
    }

    @Test
    void attachingToADirectoryThatIsNoCgroupFails(@TempDir Path notACgroup) throws Exception {
        try (BpfObject probe = BpfObject.openBundled("probe")) {
            probe.load();
            BpfException e = assertThrows(
                    BpfException.class, () -> probe.program("probe_connect4").attachCgroup(notACgroup));
            assertTrue(e.errno() > 0, e.getMessage());
        }
    }

    @Test
    void aClosedLinkRefusesUse() throws Exception {
        Path cgroup2 = Cgroup2Mount.find().orElseThrow().path();
        try (ScratchCgroup scratch = ScratchCgroup.create(cgroup2, "wg-pr-test");
                BpfObject probe = BpfObject.openBundled("probe")) {
            probe.load();
            BpfLink link = probe.program("probe_connect6").attachCgroup(scratch.path());
            link.close();
            link.close(); // idempotent
            assertThrows(IllegalStateException.class, link::fd);
        }
    }

    static String bpftoolCgroupShow(Path dir) throws IOException, InterruptedException {
        Process process = new ProcessBuilder("bpftool", "cgroup", "show", dir.toString())
                .redirectErrorStream(true)
                .start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, process.waitFor(), out);
        // bpftool prints a header line only when something is attached.
        return out.strip();
    }
}
