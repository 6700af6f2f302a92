package dev.wgpr.client.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.OptionalInt;

/**
 * What keeps processes of an app's own user from borrowing its access (taking over one of its
 * processes) on this host, in the one line {@code doctor} and {@code status} print: wg-pr's borrow
 * guard (a BPF LSM program), else Yama's {@code ptrace_scope}, else nothing.
 *
 * @param kind which protection applies
 * @param yamaScope Yama's {@code kernel.yama.ptrace_scope}, empty when the kernel has no Yama
 */
record BorrowProtection(Kind kind, OptionalInt yamaScope) {
    enum Kind {
        BORROW_GUARD,
        YAMA,
        NONE
    }

    static final String VECTORS = "ptrace, /proc/PID/mem, process_vm_writev, pidfd_getfd";
    static final String SYSCTL_FILE = "/etc/sysctl.d/60-wg-pr-ptrace.conf";
    private static final Path YAMA_SCOPE = Path.of("/proc/sys/kernel/yama/ptrace_scope");

    /** The protection on this host, given whether the borrow guard is (or, for doctor, can be) in force. */
    static BorrowProtection onThisHost(boolean guard) throws IOException {
        OptionalInt yama = readYamaScope();
        Kind kind = guard ? Kind.BORROW_GUARD : yama.orElse(0) >= 1 ? Kind.YAMA : Kind.NONE;
        return new BorrowProtection(kind, yama);
    }

    /** Yama's ptrace scope, or empty when Yama is not active. */
    static OptionalInt readYamaScope() throws IOException {
        try (InputStream in = Files.newInputStream(YAMA_SCOPE)) { // procfs sizes lie: no readString
            return OptionalInt.of(Integer.parseInt(new String(in.readAllBytes(), StandardCharsets.US_ASCII).strip()));
        } catch (NoSuchFileException e) {
            return OptionalInt.empty();
        }
    }

    /** The line: the protection in force and what it leaves open. */
    String line() {
        return switch (kind) {
            case BORROW_GUARD ->
                "BPF LSM program (wg-pr's borrow guard): " + VECTORS
                        + " on an app's processes refused to every process outside the app's cgroup (root with"
                        + " CAP_SYS_PTRACE excepted)" + yamaBesides();
            case YAMA -> "Yama ptrace_scope " + yamaScope.getAsInt() + ": " + VECTORS + " refused to " + yamaRefuses();
            case NONE ->
                "none (" + (yamaScope.isPresent() ? "Yama ptrace_scope 0" : "no Yama, no BPF LSM program") + "); open: "
                        + VECTORS + " by processes of the same user";
        };
    }

    /** What to do about it, when something can be done without a new kernel. */
    String remedy() {
        if (kind != Kind.NONE) {
            return "";
        }
        if (yamaScope.isPresent()) {
            return "To close them, set Yama's ptrace_scope to 1 (a choice for the whole system: a debugger then"
                    + " attaches only to its own children, or as root): echo kernel.yama.ptrace_scope=1 > "
                    + SYSCTL_FILE + " && sysctl -p " + SYSCTL_FILE;
        }
        return "To close them, boot a kernel that runs BPF LSM programs (bpf among lsm=, no kernel lockdown in"
                + " confidentiality mode) or one with Yama, or run apps under a user of their own.";
    }

    private String yamaBesides() {
        return yamaScope.isPresent() ? "; Yama ptrace_scope " + yamaScope.getAsInt() + " besides" : "";
    }

    private String yamaRefuses() {
        return switch (yamaScope.getAsInt()) {
            case 1 ->
                "processes other than the target's ancestors (wg-pr's launch helper, root) and those it names"
                        + " with PR_SET_PTRACER";
            case 2 -> "processes without CAP_SYS_PTRACE";
            default -> "every process";
        };
    }
}
