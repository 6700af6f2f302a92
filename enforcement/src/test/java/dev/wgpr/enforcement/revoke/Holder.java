package dev.wgpr.enforcement.revoke;

import dev.wgpr.enforcement.CHelper;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A real process (holder.py) in the lab's client namespace and, optionally, a cgroup it joins before
 * it starts: it opens connections and keeps them, and tells whether they still work.
 */
final class Holder implements AutoCloseable {
    static final int EPERM = 1;
    static final int EPIPE = 32;
    static final int EDESTADDRREQ = 89;
    static final int ECONNABORTED = 103;
    static final int ECONNRESET = 104;

    private final String label;
    private final Process process;
    private final BufferedWriter in;
    private final BufferedReader out;
    private final long pid;

    private Holder(String label, Process process) throws IOException {
        this.label = label;
        this.process = process;
        this.in = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.US_ASCII));
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
        this.pid = Long.parseLong(command("PID"));
    }

    /**
     * Starts a holder in network namespace {@code netns}; with {@code cgroup}, the shell that becomes
     * the holder moves itself into it first, so the holder and its sockets are in it from the start.
     */
    static Holder start(String label, String netns, Optional<Path> cgroup, Path scratch) throws IOException {
        Path script = RevocationLab.resource(scratch, "holder.py");
        String join = cgroup.map(c -> "echo $$ > '" + c.resolve("cgroup.procs") + "' && ")
                .orElse("");
        String command = join + "exec nsenter --net=/run/netns/" + netns + " /usr/bin/python3 -u '" + script + "'";
        Process process = new ProcessBuilder("sh", "-c", command)
                .redirectError(scratch.resolve("holder-" + label + ".err").toFile())
                .start();
        try {
            return new Holder(label, process);
        } catch (IOException | RuntimeException e) {
            process.destroyForcibly();
            throw e;
        }
    }

    long pid() {
        return pid;
    }

    /** Errno of a blocking TCP connect; 0 means established and kept as {@code name}. */
    int tcp(String name, String address, int port) throws IOException {
        return Integer.parseInt(command("tcp " + name + " " + family(address) + " " + address + " " + port));
    }

    /** Errno of a UDP connect; 0 means connected and kept as {@code name}. */
    int udp(String name, String address, int port) throws IOException {
        return Integer.parseInt(command("udp " + name + " " + family(address) + " " + address + " " + port));
    }

    /** 0 when a round trip through {@code name} works; else the errno (-1: peer closed, 110: silence). */
    int echo(String name) throws IOException {
        return Integer.parseInt(command("echo " + name));
    }

    /** Opens {@code n} TCP connections to {@code address}:{@code port}; answers how many succeeded. */
    int many(int n, String address, int port) throws IOException {
        return Integer.parseInt(command("many " + n + " " + family(address) + " " + address + " " + port));
    }

    /** How many of the {@link #many} connections are dead (error or hangup) now. */
    int dead() throws IOException {
        return Integer.parseInt(command("dead"));
    }

    void closeAll() throws IOException {
        command("closeall");
    }

    private synchronized String command(String line) throws IOException {
        in.write(line);
        in.write('\n');
        in.flush();
        String answer = out.readLine();
        if (answer == null) {
            throw new IOException("holder " + label + " died (" + stderr() + ")");
        }
        return answer.strip();
    }

    private String stderr() {
        return process.isAlive() ? "still running" : "exit " + process.exitValue();
    }

    private static String family(String address) {
        return address.contains(":") ? "6" : "4";
    }

    /** Stops the process by its own handle: stdin closed (it exits), killed if it lingers. */
    @Override
    public void close() {
        CHelper.stop(process, in);
    }

    @Override
    public String toString() {
        return "holder " + label + " (pid " + pid + ")";
    }

    static void copy(InputStream from, Path to) throws IOException {
        Files.write(to, from.readAllBytes());
    }
}
