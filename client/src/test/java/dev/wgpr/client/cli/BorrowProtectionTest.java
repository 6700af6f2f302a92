package dev.wgpr.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class BorrowProtectionTest {
    private static final String OPEN =
            "open: ptrace, /proc/PID/mem, process_vm_writev, pidfd_getfd by processes of the same user";

    @Test
    void withoutGuardAndYamaTheFourVectorsAreOpenAndOnlyANewKernelOrAUserOfTheirOwnHelps() {
        BorrowProtection none = new BorrowProtection(BorrowProtection.Kind.NONE, OptionalInt.empty());

        assertEquals("none (no Yama, no BPF LSM program); " + OPEN, none.line());
        assertTrue(none.remedy().startsWith("To close them, boot a kernel that runs BPF LSM programs"), none.remedy());
    }

    @Test
    void yamaScopeZeroIsNoProtectionAndTheRemedyIsTheExactSysctlLine() {
        BorrowProtection none = new BorrowProtection(BorrowProtection.Kind.NONE, OptionalInt.of(0));

        assertEquals("none (Yama ptrace_scope 0); " + OPEN, none.line());
        assertTrue(
                none.remedy()
                        .endsWith("echo kernel.yama.ptrace_scope=1 > /etc/sysctl.d/60-wg-pr-ptrace.conf && sysctl -p"
                                + " /etc/sysctl.d/60-wg-pr-ptrace.conf"),
                none.remedy());
    }

    @Test
    void yamaNamesWhoIsStillAllowedPerScope() {
        assertTrue(new BorrowProtection(BorrowProtection.Kind.YAMA, OptionalInt.of(1))
                .line()
                .endsWith("refused to processes other than the target's ancestors (wg-pr's launch helper, root) and"
                        + " those it names with PR_SET_PTRACER"));
        assertTrue(new BorrowProtection(BorrowProtection.Kind.YAMA, OptionalInt.of(2))
                .line()
                .endsWith("refused to processes without CAP_SYS_PTRACE"));
        assertEquals("", new BorrowProtection(BorrowProtection.Kind.YAMA, OptionalInt.of(3)).remedy());
    }

    @Test
    void theBorrowGuardComesFirstAndMentionsYamaBesidesIt() {
        BorrowProtection guard = new BorrowProtection(BorrowProtection.Kind.BORROW_GUARD, OptionalInt.of(0));

        assertTrue(guard.line().startsWith("BPF LSM program (wg-pr's borrow guard): "), guard.line());
        assertTrue(guard.line().endsWith("; Yama ptrace_scope 0 besides"), guard.line());
        assertEquals("", guard.remedy());
    }
}
