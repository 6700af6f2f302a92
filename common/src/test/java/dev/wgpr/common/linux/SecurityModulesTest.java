package dev.wgpr.common.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.testing.RequiresRoot;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class SecurityModulesTest {
    @Test
    void unknownIdsAreNamedByNumber() {
        assertEquals(
                List.of("capability", "bpf", "lsm#999"),
                SecurityModules.fromIds(new long[] {100, 109, 999}).names());
    }

    @Test
    void capabilityIsAlwaysAmongTheActiveModules() {
        SecurityModules active = SecurityModules.active().orElseThrow();
        assertTrue(active.contains("capability"), active.toString());
    }

    /**
     * The system call's answer equals securityfs's, read from a securityfs mounted in a private mount
     * namespace of a child process (so the machine's mounts stay as they were).
     */
    @Test
    @RequiresRoot
    void lsmListModulesAgreesWithSecurityfs() throws Exception {
        Process process = new ProcessBuilder(
                        "unshare",
                        "--mount",
                        "--propagation",
                        "private",
                        "sh",
                        "-c",
                        "{ [ -e /sys/kernel/security/lsm ] || mount -t securityfs securityfs /sys/kernel/security; }"
                                + " && cat /sys/kernel/security/lsm")
                .redirectErrorStream(true)
                .start();
        String lsm = new String(process.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
        assertEquals(0, process.waitFor(), lsm);
        assertEquals(
                List.of(lsm.split(",")),
                SecurityModules.fromIds(Libc.lsmListModules()).names());
    }
}
