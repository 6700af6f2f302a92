package dev.wgpr.enforcement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.RequiresRoot;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The borrow guard beside a real enforcement: where the kernel runs BPF LSM programs it is attached
 * and pinned in the instance's pin directory and goes with {@link BorrowGuard#close()}; where it does
 * not (this machine: lockdown refuses them), {@link BorrowGuard#attach} says why and leaves nothing.
 * {@link BorrowGuard#probe()} (what doctor asks) agrees with what attach does.
 */
@RequiresRoot
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
class BorrowGuardKernelTest {
    private static final List<String> PINS = List.of("link_borrow", "borrow_config", "borrow_counters");

    @Test
    void theGuardIsPinnedBesideTheEnforcementWhereTheKernelRunsItAndSaysWhyWhereItDoesNot(NetnsLab lab)
            throws Exception {
        EnforcementLab world = EnforcementLab.create(lab, EnforcementKernelTest.labPolicy());
        Path pins = world.enforcer.pinDirectory();
        try {
            Optional<String> probe = BorrowGuard.probe();
            BorrowGuard.Attempt attempt = BorrowGuard.attach(world.enforcer.config());

            assertEquals(probe.isEmpty(), attempt.guard().isPresent(), probe + " vs " + attempt);
            if (attempt.guard().isEmpty()) {
                assertTrue(attempt.refusal().startsWith("the kernel "), attempt.refusal());
                assertFalse(attempt.refusal().contains("\n"), "one line: " + attempt.refusal());
                for (String pin : PINS) {
                    assertFalse(Files.exists(pins.resolve(pin)), pin + " left behind");
                }
            } else {
                try (BorrowGuard guard = attempt.guard().get()) {
                    for (String pin : PINS) {
                        assertTrue(Files.exists(pins.resolve(pin)), pin + " pinned");
                    }
                    assertEquals(0, guard.denied());
                    assertTrue(guard.programId() > 0);
                }
                for (String pin : PINS) {
                    assertFalse(Files.exists(pins.resolve(pin)), pin + " removed by close");
                }
            }
        } finally {
            world.close();
        }
        assertFalse(Files.exists(pins), pins + " removed");
    }
}
