package dev.wgpr.client.cli;

import dev.wgpr.client.control.Json;
import dev.wgpr.client.control.Protocol;
import dev.wgpr.client.control.RequestReader;
import dev.wgpr.client.control.UnixSocket;
import dev.wgpr.client.daemon.Instance;
import dev.wgpr.common.Pace;
import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The CLI's side of the control socket: connect, one request and its reply, starting the daemon. */
final class DaemonClient {
    static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    private DaemonClient() {}

    /** Thrown when the daemon cannot be reached or started, or speaks another protocol. */
    static final class DaemonException extends Exception {
        private static final long serialVersionUID = 1L;

        DaemonException(String message) {
            super(message);
        }
    }

    /** A connection to the instance's daemon, or empty when none is running. */
    static Optional<UnixSocket> connect(Instance instance) throws DaemonException {
        try {
            return Optional.of(UnixSocket.connect(instance.controlSocket()));
        } catch (ErrnoException e) {
            if (e.errno() == Libc.ENOENT || e.errno() == Libc.ECONNREFUSED) {
                return Optional.empty();
            }
            throw new DaemonException("cannot reach the daemon at " + instance.controlSocket() + ": " + e.getMessage());
        }
    }

    /**
     * How long {@code ping} and {@code status} wait for their answer: a daemon that cannot take the
     * connection (out of descriptors) leaves it in its listen queue, and the caller should hear of it. The
     * other requests do work of unbounded length (an {@code up} resolves names and waits for the network).
     */
    static final Duration QUICK_REPLY_TIMEOUT = Duration.ofSeconds(30);

    /** Sends {@code request} on a new connection and returns the reply. */
    static Optional<Map<String, Object>> call(Instance instance, Map<String, Object> request) throws DaemonException {
        Optional<UnixSocket> socket = connect(instance);
        if (socket.isEmpty()) {
            return Optional.empty();
        }
        boolean quick = Protocol.PING.equals(request.get("op")) || Protocol.STATUS.equals(request.get("op"));
        try (UnixSocket connection = socket.get()) {
            if (quick) {
                Libc.setReceiveTimeout(connection.fd(), QUICK_REPLY_TIMEOUT);
            }
            send(connection, request);
            return Optional.of(receive(connection));
        } catch (ErrnoException e) {
            if (quick && e.errno() == Libc.EAGAIN) {
                throw new DaemonException("the daemon did not answer within " + QUICK_REPLY_TIMEOUT.toSeconds()
                        + " s; see its log " + instance.logFile());
            }
            throw new DaemonException("the daemon did not answer: " + e.getMessage());
        } catch (IOException e) {
            throw new DaemonException("the daemon did not answer: " + e.getMessage());
        }
    }

    /**
     * Sends {@code request} with {@code fds}. A request longer than the daemon reads is not sent. When the
     * daemon closed the connection before reading (it refuses callers over their connection limit), its
     * reason waits to be read: {@link #receive} gives it.
     */
    static void send(UnixSocket connection, Map<String, Object> request, int... fds)
            throws ErrnoException, DaemonException {
        String line = Json.write(request);
        int length = line.getBytes(StandardCharsets.UTF_8).length;
        if (length > RequestReader.MAX_REQUEST) {
            throw new DaemonException("the request is " + length + " bytes long, the daemon reads at most "
                    + RequestReader.MAX_REQUEST + " (a very large environment or command line?)");
        }
        try {
            connection.send(line, fds);
        } catch (ErrnoException e) {
            if (e.errno() != Libc.EPIPE && e.errno() != Libc.ECONNRESET) {
                throw e;
            }
        }
    }

    /** The next message, checked for our protocol version. */
    static Map<String, Object> receive(UnixSocket connection) throws IOException, DaemonException {
        Map<String, Object> reply;
        try {
            reply = Json.parseObject(connection.receive().line());
        } catch (IllegalArgumentException e) {
            throw new DaemonException("the daemon sent something that is not JSON: " + e.getMessage());
        }
        if (!Long.valueOf(Protocol.VERSION).equals(reply.get("v"))) {
            throw new DaemonException("the daemon speaks protocol version " + reply.get("v") + ", this wg-pr "
                    + Protocol.VERSION + "; restart the daemon (wg-pr down, then up)");
        }
        return reply;
    }

    static boolean isOk(Map<String, Object> reply) {
        return Boolean.TRUE.equals(reply.get("ok"));
    }

    /**
     * Makes sure a daemon runs for {@code instance}: starts one (a detached JVM in its own session,
     * output to the instance's log) when none answers, and waits until it answers {@code ping}.
     */
    static void ensureRunning(Instance instance, Optional<String> launchGroup, List<Path> configDirectories)
            throws DaemonException {
        ensureRunning(instance, launchGroup, configDirectories, true);
    }

    /** As above; {@code lockdown} false starts it with {@code --no-lockdown}. */
    static void ensureRunning(
            Instance instance, Optional<String> launchGroup, List<Path> configDirectories, boolean lockdown)
            throws DaemonException {
        if (call(instance, Protocol.request(Protocol.PING)).isPresent()) {
            return;
        }
        Path log = instance.logFile();
        Process process;
        try {
            Files.createDirectories(instance.runtimeDirectory());
            Files.setPosixFilePermissions(instance.runtimeDirectory(), PosixFilePermissions.fromString("rwxr-xr-x"));
            ProcessBuilder builder =
                    new ProcessBuilder(daemonCommand(instance, launchGroup, configDirectories, lockdown));
            builder.environment().putAll(DaemonJvm.environment(builder.environment()));
            builder.environment().remove(Instance.ENVIRONMENT_VARIABLE);
            // Readiness goes to systemd only from the daemon it started itself (DaemonCommand).
            builder.environment().remove(SystemdNotify.VARIABLE);
            builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            builder.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            builder.redirectErrorStream(true);
            process = builder.start();
        } catch (IOException e) {
            throw new DaemonException("cannot start the daemon: " + e.getMessage());
        }
        Duration limit = Pace.scaled(START_TIMEOUT);
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<Map<String, Object>> reply = call(instance, Protocol.request(Protocol.PING));
            if (reply.isPresent() && isOk(reply.get())) {
                return;
            }
            if (!process.isAlive()) {
                throw new DaemonException(
                        "the daemon exited with status " + process.exitValue() + " before it was ready; see " + log);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DaemonException("interrupted while waiting for the daemon");
            }
        }
        process.destroy();
        throw new DaemonException("the daemon was not ready after " + limit.toSeconds() + " s; see " + log);
    }

    /** This JVM again, on this class path, running {@code wg-pr daemon} in the foreground of its own session. */
    private static List<String> daemonCommand(
            Instance instance, Optional<String> launchGroup, List<Path> configDirectories, boolean lockdown) {
        String java = ProcessHandle.current()
                .info()
                .command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC"));
        command.addAll(DaemonJvm.options(System.getenv()));
        command.addAll(List.of(
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "--instance",
                instance.name(),
                "daemon",
                "--foreground",
                "--new-session"));
        launchGroup.ifPresent(group -> command.addAll(List.of("--launch-group", group)));
        for (Path dir : configDirectories) {
            command.addAll(List.of("--config-dir", dir.toString()));
        }
        if (!lockdown) {
            command.add("--no-lockdown");
        }
        return command;
    }
}
