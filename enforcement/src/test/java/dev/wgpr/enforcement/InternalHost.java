package dev.wgpr.enforcement;

import dev.wgpr.testing.lab.Namespace;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * internal_host.py in a lab namespace: TCP listeners and UDP echo servers on every address of the
 * namespace, and a capture of every IP packet that arrives on the given devices (the far ends of
 * tunnels). A vector is blocked only when nothing of it arrived.
 */
public final class InternalHost implements AutoCloseable {
    /** The ports the pivot vectors aim at. */
    public static final String TCP_PORTS = "21,22,23,53,80,443,7999,8000,8099,8100";

    public static final String UDP_PORTS = "22,53,54";

    /** Packets that have arrived so far, and a summary of the last few. */
    public record Count(long packets, String last) {}

    private final Process process;
    private final BufferedWriter in;
    private final BufferedReader out;

    private InternalHost(Process process) throws IOException {
        this.process = process;
        this.in = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String ready = out.readLine();
        if (!"READY".equals(ready)) {
            throw new IOException("internal host did not start: " + ready);
        }
    }

    /**
     * Starts internal_host.py ({@code script}, see {@link Agent#installScripts}) in {@code ns},
     * capturing what arrives on {@code devices} (a comma list; Ethernet and TUN devices alike).
     */
    public static InternalHost start(Namespace ns, Path script, String devices) throws IOException {
        Process process = new ProcessBuilder(
                        "nsenter",
                        "--net=/run/netns/" + ns.name(),
                        "/usr/bin/python3",
                        "-u",
                        script.toString(),
                        devices,
                        TCP_PORTS,
                        UDP_PORTS)
                .redirectError(script.resolveSibling("internal-host-" + ns.role() + ".err")
                        .toFile())
                .start();
        try {
            return new InternalHost(process);
        } catch (IOException | RuntimeException e) {
            process.destroyForcibly();
            throw e;
        }
    }

    /** Packets that have arrived so far, and the last few. */
    public Count count() throws IOException {
        return ask("COUNT");
    }

    /** Packets that have arrived so far, and the first few of those after the first {@code earlier}. */
    public Count countSince(long earlier) throws IOException {
        return ask("COUNT " + earlier);
    }

    private synchronized Count ask(String request) throws IOException {
        in.write(request + "\n");
        in.flush();
        String line = out.readLine();
        if (line == null) {
            throw new IOException("internal host died");
        }
        String[] parts = line.strip().split(" ", 2);
        return new Count(Long.parseLong(parts[0]), parts.length > 1 ? parts[1] : "");
    }

    @Override
    public void close() {
        try {
            in.close();
        } catch (IOException e) {
            // gone
        }
        process.destroyForcibly();
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
