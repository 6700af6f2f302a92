package dev.wgpr.client.trace;

import java.util.Arrays;
import java.util.Optional;

/**
 * The system calls {@code wg-pr trace} is told of: every way a socket reaches or waits for a peer, with
 * their numbers in each {@link Abi} (-1: the ABI has no such call).
 */
public enum Syscall {
    CONNECT(42, 362, 42),
    ACCEPT(43, -1, 43),
    SENDTO(44, 369, 44),
    SENDMSG(46, 370, 518),
    BIND(49, 361, 49),
    LISTEN(50, 363, 50),
    ACCEPT4(288, 364, 288),
    SENDMMSG(307, 345, 538),
    /**
     * io_uring submissions never pass seccomp, so a ring would connect unseen: under trace its setup fails
     * with ENOSYS (programs fall back to plain system calls), and the attempt is reported.
     */
    IO_URING_SETUP(425, 425, 425),
    /** i386's multiplexer for every socket call ({@code accept} has no call of its own there). */
    SOCKETCALL(-1, 102, -1);

    /** The x86-64 number. */
    final int number;

    private final int i386;
    private final int x32;

    Syscall(int number, int i386, int x32) {
        this.number = number;
        this.i386 = i386;
        this.x32 = x32;
    }

    /** Its number in {@code abi} (x32's with {@link Abi#X32_SYSCALL_BIT}); -1 when that ABI has no such call. */
    int number(Abi abi) {
        return switch (abi) {
            case X86_64 -> number;
            case I386 -> i386;
            case X32 -> x32 < 0 ? -1 : x32 | Abi.X32_SYSCALL_BIT;
        };
    }

    /**
     * Whether its arguments mean the same in every ABI (a descriptor, a pointer zero-extended, lengths),
     * so that x86-64's reading of them holds for x32 and i386 too; not so for {@code sendmsg} and {@code
     * sendmmsg} ({@code struct msghdr} with 32-bit pointers there) nor {@code socketcall}.
     */
    boolean sameInEveryAbi() {
        return this != SENDMSG && this != SENDMMSG && this != SOCKETCALL;
    }

    static Optional<Syscall> of(Abi abi, int number) {
        return Arrays.stream(values())
                .filter(s -> s.number(abi) >= 0 && s.number(abi) == number)
                .findFirst();
    }

    /** As the system call is named: {@code connect}, {@code io_uring_setup}. */
    public String callName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
