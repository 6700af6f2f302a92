package dev.wgpr.enforcement.bpf;

import dev.wgpr.common.linux.Libc;
import java.io.IOException;
import java.util.List;

/** A libbpf or bpf(2) operation failed; carries the errno and what libbpf printed about it. */
public final class BpfException extends IOException {
    private static final long serialVersionUID = 1L;

    private final int errno;
    private final String[] libbpfLog;

    BpfException(String operation, int errno, List<String> libbpfLog) {
        super(message(operation, errno, libbpfLog));
        this.errno = errno;
        this.libbpfLog = libbpfLog.toArray(String[]::new);
    }

    /** The failure of {@code operation} with {@code errno}, with libbpf's warnings from this thread. */
    static BpfException of(String operation, int errno) {
        return new BpfException(operation, errno, Libbpf.takeLog());
    }

    public int errno() {
        return errno;
    }

    /** libbpf's warnings printed during the failed call, e.g. the verifier's complaint. */
    public List<String> libbpfLog() {
        return List.of(libbpfLog);
    }

    private static String message(String operation, int errno, List<String> log) {
        StringBuilder message = new StringBuilder(operation)
                .append(": ")
                .append(Libc.strerror(errno))
                .append(" (errno ")
                .append(errno)
                .append(')');
        for (String line : log) {
            message.append("\n  libbpf: ").append(line);
        }
        return message.toString();
    }
}
