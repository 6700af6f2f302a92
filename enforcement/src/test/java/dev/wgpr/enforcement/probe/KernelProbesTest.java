package dev.wgpr.enforcement.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.common.linux.SecurityModules;
import dev.wgpr.enforcement.bpf.BpfException;
import dev.wgpr.enforcement.bpf.CompiledObjects;
import dev.wgpr.enforcement.cgroup.Cgroup2Mount;
import dev.wgpr.testing.RequiresRoot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@RequiresRoot
class KernelProbesTest {
    @Test
    void everyProgramOfTheRealEnforcementObjectLoadsHere() throws Exception {
        List<KernelProbes.ProgramLoad> loads = KernelProbes.enforcementPrograms();
        assertEquals(
                List.of(
                        "wgpr_sock_create",
                        "wgpr_connect4",
                        "wgpr_connect6",
                        "wgpr_sendmsg4",
                        "wgpr_sendmsg6",
                        "wgpr_tunnel_egress",
                        "wgpr_tunnel_tag",
                        "wgpr_inbound"),
                loads.stream().map(KernelProbes.ProgramLoad::program).toList());
        assertTrue(loads.stream().allMatch(KernelProbes.ProgramLoad::loads), loads.toString());
    }

    /** An object the kernel refuses: each program is tried alone, the refused one named with the reason. */
    @Test
    void aRefusedProgramIsNamedWithTheVerifiersReasonAndTheOthersStillLoad(@TempDir Path dir) throws Exception {
        byte[] elf = CompiledObjects.compile(dir, "mixed", CompiledObjects.REFUSED_AFTER_A_LONG_WALK + """
                SEC("cgroup/connect6")
                int allowed_connect6(struct bpf_sock_addr *ctx)
                {
                	return 1;
                }
                """);
        List<KernelProbes.ProgramLoad> loads = KernelProbes.programLoads("mixed", elf);
        assertEquals(2, loads.size(), loads.toString());
        assertEquals("refused_connect4", loads.get(0).program());
        assertTrue(loads.get(0).refusal().orElseThrow().contains("invalid mem access"), loads.toString());
        assertEquals(new KernelProbes.ProgramLoad("allowed_connect6", Optional.empty()), loads.get(1));
    }

    @Test
    void sockAddrAttachProbeSucceedsAndLeavesNoScratchCgroup() throws Exception {
        Path cgroup2 = Cgroup2Mount.find().orElseThrow().path();
        KernelProbes.cgroupSockAddrAttach(cgroup2);
        assertEquals(List.of(), scratchCgroups(cgroup2));
    }

    @Test
    void sockAddrAttachProbeUnderAPathThatIsNoCgroupFailsAndCleansUp(@TempDir Path dir) {
        assertThrows(IOException.class, () -> KernelProbes.cgroupSockAddrAttach(dir));
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(0, left.count(), "scratch directory removed after the failure");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * With the BPF LSM active the hook runs at least once; with it inactive it attaches but never runs;
     * a kernel that refuses LSM programs (this one does, with EPERM, under lockdown) says so through
     * a BpfException. Either way no program stays loaded.
     */
    @Test
    void bpfLsmProbeAgreesWithTheActiveModulesAndLeavesNothingLoaded() throws Exception {
        SecurityModules active = SecurityModules.active().orElseThrow();
        try {
            long runs = KernelProbes.bpfLsmHookRuns();
            if (active.contains("bpf")) {
                assertTrue(runs >= 1, "BPF LSM active but the hook ran " + runs + " times");
            } else {
                assertEquals(0, runs, "BPF LSM inactive but the hook ran");
            }
        } catch (BpfException refused) {
            assertTrue(refused.errno() > 0, refused.getMessage());
        }
        assertFalse(run("bpftool", "prog", "show").contains("lsm_probe"), "no lsm_probe program left loaded");
    }

    @Test
    void ringBufferProbeSucceeds() throws Exception {
        KernelProbes.ringBuffer(4096);
    }

    static String run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, process.waitFor(), out);
        return out;
    }

    static List<Path> scratchCgroups(Path cgroup2) throws IOException {
        try (Stream<Path> children = Files.list(cgroup2)) {
            return children.filter(p -> p.getFileName().toString().startsWith(KernelProbes.SCRATCH_PREFIX))
                    .toList();
        }
    }
}
