package dev.wgpr.enforcement;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A long-lived probe process (prober.py) in a lab namespace and, optionally, a cgroup it joins before
 * it starts: it makes real connect()/sendto() calls and reports their errno.
 */
final class Prober implements AutoCloseable {
    static final int EPERM = 1;
    static final int ENOBUFS = 105;

    /**
     * One attempt: {@code op} is tcp, mptcp, udpc (UDP connect), udps (UDP sendto) or ping (an echo request
     * from an ICMP datagram socket, which the namespace's {@code net.ipv4.ping_group_range} must allow).
     */
    record Probe(String op, int family, String address, int port) {
        String line() {
            return op + " " + family + " " + address + " " + port;
        }
    }

    private final String label;
    private final Process process;
    private final BufferedWriter in;
    private final BufferedReader out;
    private final long pid;

    private Prober(String label, Process process) throws IOException {
        this.label = label;
        this.process = process;
        this.in = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.US_ASCII));
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
        in.write("PID\n");
        in.flush();
        String line = out.readLine();
        if (line == null) {
            throw new IOException("prober " + label + " died at start: " + stderr());
        }
        this.pid = Long.parseLong(line.strip());
    }

    /**
     * Starts a prober in network namespace {@code netns}; when {@code cgroup} is given, the shell
     * that becomes the prober moves itself into it first (so the prober is in it from its first
     * instruction), then enters the namespace with nsenter (which, unlike {@code ip netns exec},
     * keeps /sys and so the cgroup2 mount).
     */
    static Prober start(String label, String netns, Optional<Path> cgroup, Path scratch) throws IOException {
        Process process = startPython("prober.py", "prober-" + label, netns, cgroup, scratch);
        try {
            return new Prober(label, process);
        } catch (IOException | RuntimeException e) {
            process.destroyForcibly();
            throw e;
        }
    }

    /**
     * Starts the python script {@code resource} (of this package, copied to {@code scratch}) with {@code
     * args} in network namespace {@code netns}, in {@code cgroup} if given from its first instruction (the
     * shell moves itself there, then nsenter keeps /sys and so the cgroup2 mount); stderr goes to {@code
     * <logName>.err} in {@code scratch}.
     */
    static Process startPython(
            String resource, String logName, String netns, Optional<Path> cgroup, Path scratch, String... args)
            throws IOException {
        Path script = scratch.resolve(resource);
        if (!Files.exists(script)) {
            try (InputStream in = Prober.class.getResourceAsStream(resource)) {
                Files.write(script, in.readAllBytes());
            }
        }
        String join = cgroup.map(c -> "echo $$ > '" + c.resolve("cgroup.procs") + "' && ")
                .orElse("");
        String command = join + "exec nsenter --net=/run/netns/" + netns + " /usr/bin/python3 -u '" + script + "' "
                + String.join(" ", args);
        return new ProcessBuilder("sh", "-c", command)
                .redirectError(scratch.resolve(logName + ".err").toFile())
                .start();
    }

    long pid() {
        return pid;
    }

    /** Runs {@code probes} in order and returns their errnos. */
    synchronized int[] run(List<Probe> probes) throws IOException {
        for (Probe probe : probes) {
            in.write(probe.line());
            in.write('\n');
        }
        in.write("FLUSH\n");
        in.flush();
        int[] errnos = new int[probes.size()];
        for (int i = 0; i < errnos.length; i++) {
            String line = out.readLine();
            if (line == null) {
                throw new IOException("prober " + label + " died: " + stderr());
            }
            errnos[i] = Integer.parseInt(line.strip());
        }
        return errnos;
    }

    int run(Probe probe) throws IOException {
        return run(List.of(probe))[0];
    }

    private String stderr() {
        return "(exit " + (process.isAlive() ? "-" : process.exitValue()) + ")";
    }

    @Override
    public void close() throws IOException {
        CHelper.stop(process, in);
    }

    static List<Probe> list(List<Probe> probes) {
        return new ArrayList<>(probes);
    }

    static Duration since(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }
}
