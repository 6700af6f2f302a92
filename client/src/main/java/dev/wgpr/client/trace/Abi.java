package dev.wgpr.client.trace;

/**
 * The system call ABIs an x86-64 kernel serves, as seccomp tells them apart: by {@code arch}, and x32
 * by a bit of the call's number. A filter that checked only x86-64 would let a program connect unseen
 * through {@code int 0x80} or an x32 call.
 */
enum Abi {
    X86_64("x86-64", 0xC000003E),
    X32("x32", 0xC000003E),
    I386("i386", 0x40000003);

    static final int X32_SYSCALL_BIT = 0x40000000;

    final String label;
    /** {@code AUDIT_ARCH_*}. */
    final int arch;

    Abi(String label, int arch) {
        this.label = label;
        this.arch = arch;
    }

    /** The ABI of a call seccomp announced as {@code arch} and {@code number}; null for one this host has not. */
    static Abi of(int arch, int number) {
        if (arch == X86_64.arch) {
            return (number & X32_SYSCALL_BIT) != 0 ? X32 : X86_64;
        }
        return arch == I386.arch ? I386 : null;
    }
}
