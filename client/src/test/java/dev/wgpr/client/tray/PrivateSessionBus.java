package dev.wgpr.client.tray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** A session bus of the test's own: {@code dbus-daemon --session} on a socket in a fresh directory. */
public final class PrivateSessionBus implements AutoCloseable {
    private final Path directory;
    private final Process process;
    private final String address;

    private PrivateSessionBus(Path directory, Process process, String address) {
        this.directory = directory;
        this.process = process;
        this.address = address;
    }

    public static boolean available() {
        return Files.isExecutable(Path.of("/usr/bin/dbus-daemon"));
    }

    public static PrivateSessionBus start() throws IOException {
        return start(false);
    }

    /**
     * A dbus-daemon config for a bus of a test's own of {@code type} ("session", "system") on {@code socket},
     * where any user may connect, own any name and send to anyone: what the tests look at is the services on
     * it, not the bus's policy.
     */
    public static String openConfig(String type, Path socket) {
        return """
                <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
                 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
                <busconfig>
                  <type>%s</type>
                  <listen>unix:path=%s</listen>
                  <auth>EXTERNAL</auth>
                  <policy context="default">
                    <allow user="*"/>
                    <allow own="*"/>
                    <allow send_destination="*"/>
                    <allow receive_sender="*"/>
                  </policy>
                </busconfig>
                """.formatted(type, socket);
    }

    /**
     * {@code gdbus call} on this bus, as GLib's clients (GNOME's AppIndicator extension) make it: {@code method}
     * of the object at {@code path} of {@code destination}, {@code args} in GVariant text; its answer as gdbus
     * prints it. Fails unless gdbus answers, successfully, within {@code wait}.
     */
    public String gdbus(String destination, String path, String method, Duration wait, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(
                "gdbus",
                "call",
                "--address",
                address,
                "--dest",
                destination,
                "--object-path",
                path,
                "--method",
                method,
                "--"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(wait.toSeconds(), TimeUnit.SECONDS), "gdbus did not finish");
        assertEquals(0, process.exitValue(), String.join(" ", command) + ":\n" + out);
        return out;
    }

    /**
     * A bus that processes of every user may use ({@code anyUser}: a test as root runs the tray as nobody),
     * else {@code dbus-daemon --session}'s own policy (this user only).
     */
    public static PrivateSessionBus start(boolean anyUser) throws IOException {
        Path directory = Files.createTempDirectory("wg-pr-tray-bus-");
        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path socket = directory.resolve("bus");
        List<String> command = new ArrayList<>(List.of("dbus-daemon", "--nofork", "--nopidfile", "--print-address=1"));
        if (anyUser) {
            Path config = directory.resolve("bus.conf");
            Files.writeString(config, openConfig("session", socket));
            command.add("--config-file=" + config);
        } else {
            command.addAll(List.of("--session", "--address=unix:path=" + socket));
        }
        Process process = new ProcessBuilder(command)
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

    public String address() {
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
