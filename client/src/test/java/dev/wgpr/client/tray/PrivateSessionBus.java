package dev.wgpr.client.tray;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** A session bus of the test's own: {@code dbus-daemon --session} on a socket in a fresh directory. */
final class PrivateSessionBus implements AutoCloseable {
    private final Path directory;
    private final Process process;
    private final String address;

    private PrivateSessionBus(Path directory, Process process, String address) {
        this.directory = directory;
        this.process = process;
        this.address = address;
    }

    static boolean available() {
        return Files.isExecutable(Path.of("/usr/bin/dbus-daemon"));
    }

    static PrivateSessionBus start() throws IOException {
        Path directory = Files.createTempDirectory("wg-pr-tray-bus-");
        Process process = new ProcessBuilder(
                        "dbus-daemon",
                        "--session",
                        "--nofork",
                        "--nopidfile",
                        "--print-address=1",
                        "--address=unix:path=" + directory.resolve("bus"))
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        BufferedReader out =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String address = out.readLine();
        if (address == null || !address.startsWith("unix:")) {
            process.destroyForcibly();
            throw new IOException("dbus-daemon printed no address: " + address);
        }
        return new PrivateSessionBus(directory, process, address.strip());
    }

    String address() {
        return address;
    }

    @Override
    public void close() throws IOException {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (Stream<Path> files = Files.walk(directory)) {
            files.sorted(Comparator.reverseOrder())
                    .forEach(file -> file.toFile().delete());
        }
    }
}
