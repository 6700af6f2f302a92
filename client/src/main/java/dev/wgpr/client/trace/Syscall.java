package dev.wgpr.client.trace;

import java.util.Arrays;
import java.util.Optional;

/** The system calls {@code wg-pr trace} is told of (x86-64 numbers): every way a socket reaches or waits for a peer. */
public enum Syscall {
    CONNECT(42),
    ACCEPT(43),
    SENDTO(44),
    SENDMSG(46),
    BIND(49),
    LISTEN(50),
    ACCEPT4(288),
    SENDMMSG(307),
    /**
     * io_uring submissions never pass seccomp, so a ring would connect unseen: under trace its setup fails
     * with ENOSYS (programs fall back to plain system calls), and the attempt is reported.
     */
    IO_URING_SETUP(425);

    final int number;

    Syscall(int number) {
        this.number = number;
    }

    static Optional<Syscall> of(int number) {
        return Arrays.stream(values()).filter(s -> s.number == number).findFirst();
    }

    /** As the system call is named: {@code connect}, {@code io_uring_setup}. */
    public String callName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
