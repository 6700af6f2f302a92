package dev.wgpr.enforcement;

import dev.wgpr.testing.lab.Namespace;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A listening python process (listener.py) in a lab namespace, in a cgroup if given (else the test's, no app's):
 * the listener an inbound test reaches from the peer's side ({@link dev.wgpr.testing.lab.Reach}). It says
 * "accepted ADDR" for each connection (after writing "hi") and "received ADDR" for each datagram (after sending
 * it back).
 */
public record Listener(Process process, BlockingQueue<String> lines) implements AutoCloseable {
    /**
     * Starts a listener on {@code proto} ("tcp" or "udp") port {@code port} of {@code family} ("4", or "6", which
     * takes IPv4 too) in {@code ns}, once it is bound; its stderr goes to {@code scratch}.
     */
    public static Listener start(
            Namespace ns, Path scratch, String proto, String family, int port, Optional<Path> cgroup)
            throws IOException, InterruptedException {
        Process process = Prober.startPython(
                "listener.py", "listener-" + port, ns.name(), cgroup, scratch, proto, family, Integer.toString(port));
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader out =
                    new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII))) {
                for (String line; (line = out.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (IOException e) {
                lines.add("closed: " + e.getMessage());
            }
        });
        Listener listener = new Listener(process, lines);
        if (!"ready".equals(listener.next(Duration.ofSeconds(10)))) {
            listener.close();
            throw new IOException("listener on " + proto + "/" + port + " did not start");
        }
        return listener;
    }

    /** The next line, or null when none came within {@code timeout}. */
    public String next(Duration timeout) throws InterruptedException {
        return lines.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Kills it and waits, so that its cgroup is empty when it is removed. */
    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
