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

    /**
     * Why the verifier refused a program, in its own words: the line before its {@code processed N
     * insns} summary (e.g. {@code program of this type cannot use helper bpf_get_current_comm#16}),
     * else libbpf's last warning; empty when libbpf said nothing.
     */
    public String reason() {
        List<String> lines = List.of(libbpfLog).stream()
                .flatMap(String::lines)
                .map(String::strip)
                .filter(line -> !line.isEmpty())
                .toList();
        for (int i = 1; i < lines.size(); i++) {
            if (lines.get(i).startsWith("processed ") && lines.get(i).contains(" insns")) {
                return lines.get(i - 1);
            }
        }
        return lines.isEmpty() ? "" : lines.getLast();
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
