package dev.wgpr.client.cli;

import dev.wgpr.client.control.ControlChannel;
import dev.wgpr.client.control.ControlJson;
import dev.wgpr.client.control.DeniedAttempt;
import dev.wgpr.client.control.LineConnection;
import dev.wgpr.client.control.Protocol;
import dev.wgpr.client.control.Reply;
import dev.wgpr.client.control.Request;
import dev.wgpr.client.control.RequestReader;
import dev.wgpr.client.control.UnixSocket;
import dev.wgpr.client.daemon.DaemonLog;
import dev.wgpr.client.daemon.Instance;
import dev.wgpr.common.Pace;
import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/** The CLI's side of the control socket: connect, one request and its reply, starting the daemon. */
final class DaemonClient {
    static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    private DaemonClient() {}

    /**
     * Thrown when the daemon cannot be reached or started, speaks another protocol, or refuses: each with the
     * exit status that fits it ({@link #report}).
     */
    static class DaemonException extends Exception {
        private static final long serialVersionUID = 1L;
        private final int exitStatus;

        DaemonException(String message) {
            this(message, WgPrCommand.EXIT_FAILURE);
        }

        DaemonException(String message, int exitStatus) {
            super(message);
            this.exitStatus = exitStatus;
        }

        /** Prints the reason as {@code command}'s and returns the exit status. */
        int report(String command, PrintWriter err) {
            err.println("wg-pr " + command + ": " + getMessage());
            return exitStatus;
        }
    }

    /** The daemon's answer was an error. */
    static final class RefusedException extends DaemonException {
        private static final long serialVersionUID = 1L;
        private final transient Reply.Error error;

        RefusedException(Reply.Error error) {
            super(error.message(), exitStatus(error.error()));
            this.error = error;
        }

        Reply.Error error() {
            return error;
        }

        private static int exitStatus(String kind) {
            return switch (kind) {
                case Protocol.BAD_CONFIG, Protocol.BAD_REQUEST -> WgPrCommand.EXIT_BAD_INPUT;
                case Protocol.PERMISSION -> WgPrCommand.EXIT_NOT_PERMITTED;
                default -> WgPrCommand.EXIT_FAILURE;
            };
        }
    }

    /** A connection to the instance's daemon, or empty when none is running. */
    static Optional<ControlChannel> connect(Instance instance) throws DaemonException {
        try {
            return ControlChannel.connect(instance.controlSocket());
        } catch (IOException e) {
            throw new DaemonException("cannot reach the daemon at " + instance.controlSocket() + ": " + e.getMessage());
        }
    }

    /** A connection to the instance's daemon; when none runs, a {@link DaemonException} saying {@code whenNone}. */
    static ControlChannel connect(Instance instance, String whenNone) throws DaemonException {
        return connect(instance).orElseThrow(() -> new DaemonException(whenNone));
    }

    /**
     * A connection that can also pass descriptors ({@code run} hands over the caller's stdio); when no daemon
     * runs, a {@link DaemonException} saying {@code whenNone}.
     */
    static UnixSocket connectForDescriptors(Instance instance, String whenNone) throws DaemonException {
        try {
            return UnixSocket.connect(instance.controlSocket());
        } catch (ErrnoException e) {
            if (e.errno() == Libc.ENOENT || e.errno() == Libc.ECONNREFUSED) {
                throw new DaemonException(whenNone);
            }
            throw new DaemonException("cannot reach the daemon at " + instance.controlSocket() + ": " + e.getMessage());
        }
    }

    /**
     * How long {@code ping}, {@code status} and {@code names} wait for their answer: a daemon that cannot take the
     * connection (out of descriptors) leaves it in its listen queue, and the caller should hear of it. The
     * other requests do work of unbounded length (an {@code up} resolves names and waits for the network).
     * Scaled by {@link Pace}: a daemon on an emulated CPU answers its first status slowly, not never.
     */
    static final Duration QUICK_REPLY_TIMEOUT = Duration.ofSeconds(30);

    /**
     * Sends {@code request} on a new connection and returns the answer, empty when no daemon runs.
     *
     * @throws RefusedException when the daemon answers with an error
     */
    static <R extends Reply> Optional<R> call(Instance instance, Request request, Class<R> answer)
            throws DaemonException {
        return call(instance, request, answer, () -> {});
    }

    /**
     * As {@link #call(Instance, Request, Class)}, running {@code meanwhile} once the request is sent: work
     * the caller needs after the answer, done in time this process would otherwise spend waiting for the
     * daemon.
     */
    static <R extends Reply> Optional<R> call(Instance instance, Request request, Class<R> answer, Runnable meanwhile)
            throws DaemonException {
        Optional<ControlChannel> socket = connect(instance);
        if (socket.isEmpty()) {
            return Optional.empty();
        }
        boolean quick = request instanceof Request.Ping
                || request instanceof Request.Status
                || request instanceof Request.Names;
        Duration limit = quick ? Pace.scaled(QUICK_REPLY_TIMEOUT) : Duration.ofNanos(Long.MAX_VALUE);
        try (ControlChannel connection = socket.get()) {
            send(connection, request);
            meanwhile.run();
            return Optional.of(answer(
                    read(() -> connection.receiveLine(limit), line -> ControlJson.readReply(line, answer)), answer));
        } catch (ControlChannel.NoReplyException e) {
            throw new DaemonException(
                    "the daemon did not answer within " + limit.toSeconds() + " s; see its log " + instance.logFile());
        } catch (IOException e) {
            throw new DaemonException("the daemon did not answer: " + e.getMessage());
        }
    }

    /** As {@link #call}; when no daemon runs, a {@link DaemonException} saying {@code whenNone}. */
    static <R extends Reply> R require(Instance instance, Request request, Class<R> answer, String whenNone)
            throws DaemonException {
        return call(instance, request, answer).orElseThrow(() -> new DaemonException(whenNone));
    }

    /**
     * Sends {@code request} with {@code fds}. A request longer than the daemon reads is not sent. When the
     * daemon closed the connection before reading (it refuses callers over their connection limit), its
     * reason waits to be read: {@link #receive} gives it.
     */
    static void send(LineConnection connection, Request request) throws IOException, DaemonException {
        String line = checked(ControlJson.write(request));
        deliver(() -> connection.sendLine(line));
    }

    /** As {@link #send(LineConnection, Request)}, with {@code fds} attached. */
    static void send(UnixSocket connection, Request request, int... fds) throws IOException, DaemonException {
        send(connection, ControlJson.write(request), fds);
    }

    /**
     * As {@link #send(UnixSocket, Request, int...)}, the request written already ({@link ControlJson#write}):
     * for a caller that writes it while it waits for something else.
     */
    static void send(UnixSocket connection, String request, int... fds) throws IOException, DaemonException {
        String line = checked(request);
        deliver(() -> connection.send(line, fds));
    }

    private interface Sending {
        void run() throws IOException;
    }

    /** Runs {@code sending}; a daemon that closed the connection first has its reason waiting to be read. */
    private static void deliver(Sending sending) throws IOException {
        try {
            sending.run();
        } catch (IOException e) {
            if (!closedByTheDaemon(e)) {
                throw e;
            }
        }
    }

    /** {@code line}, a written request, when the daemon reads one so long. */
    private static String checked(String line) throws DaemonException {
        int length = line.getBytes(StandardCharsets.UTF_8).length;
        if (length > RequestReader.MAX_REQUEST) {
            throw new DaemonException("the request is " + length + " bytes long, the daemon reads at most "
                    + RequestReader.MAX_REQUEST + " (a very large environment or command line?)");
        }
        return line;
    }

    /** EPIPE or ECONNRESET, from libc or from the JDK's channel, which says them in words only. */
    private static boolean closedByTheDaemon(IOException e) {
        if (e instanceof ErrnoException errno) {
            return errno.errno() == Libc.EPIPE || errno.errno() == Libc.ECONNRESET;
        }
        String message = String.valueOf(e.getMessage());
        return message.contains("Broken pipe") || message.contains("Connection reset");
    }

    /**
     * The next message, an answer of type {@code answer}.
     *
     * @throws RefusedException when the daemon answers with an error
     */
    static <R extends Reply> R receive(LineConnection connection, Class<R> answer) throws IOException, DaemonException {
        return answer(read(connection::receiveLine, line -> ControlJson.readReply(line, answer)), answer);
    }

    private static <R extends Reply> R answer(Reply reply, Class<R> answer) throws RefusedException {
        if (reply instanceof Reply.Error error) {
            throw new RefusedException(error);
        }
        return answer.cast(reply);
    }

    /** The next message that follows an answer: an {@link Reply.Exit} or a {@link DeniedAttempt}. */
    static Reply receiveEvent(LineConnection connection) throws IOException, DaemonException {
        return read(connection::receiveLine, ControlJson::readEvent);
    }

    private interface LineSource {
        String next() throws IOException;
    }

    private static Reply read(LineSource source, Function<String, Reply> reader) throws IOException, DaemonException {
        String line = source.next();
        try {
            return reader.apply(line);
        } catch (ControlJson.OtherVersionException e) {
            throw new DaemonException("the daemon speaks protocol version " + e.version() + ", this wg-pr "
                    + Protocol.VERSION + "; restart the daemon (wg-pr down, then up)");
        } catch (IllegalArgumentException e) {
            throw new DaemonException("the daemon sent something this wg-pr cannot read: " + e.getMessage());
        }
    }

    /**
     * Makes sure a daemon runs for {@code instance}: starts one (a detached JVM in its own session,
     * output to the instance's log) when none answers, and waits until it answers {@code ping}.
     */
    static void ensureRunning(Instance instance, Optional<String> launchGroup, List<Path> configDirectories)
            throws DaemonException {
        ensureRunning(instance, launchGroup, configDirectories, true, false);
    }

    /**
     * As above; {@code lockdown} false starts it with {@code --no-lockdown}; {@code manageResolvConf} lets
     * the locked-down daemon replace {@code /etc/resolv.conf}.
     */
    static void ensureRunning(
            Instance instance,
            Optional<String> launchGroup,
            List<Path> configDirectories,
            boolean lockdown,
            boolean manageResolvConf)
            throws DaemonException {
        if (call(instance, new Request.Ping(), Reply.Pong.class).isPresent()) {
            return;
        }
        Path log = instance.logFile();
        Process process;
        try {
            Files.createDirectories(instance.runtimeDirectory());
            Files.setPosixFilePermissions(instance.runtimeDirectory(), PosixFilePermissions.fromString("rwxr-xr-x"));
            ProcessBuilder builder = new ProcessBuilder(
                    daemonCommand(instance, launchGroup, configDirectories, lockdown, manageResolvConf));
            builder.environment().putAll(DaemonJvm.environment(builder.environment()));
            builder.environment().remove(Instance.ENVIRONMENT_VARIABLE);
            // Readiness goes to systemd only from the daemon it started itself (DaemonCommand).
            builder.environment().remove(SystemdNotify.VARIABLE);
            builder.environment().remove(DaemonLog.JOURNAL_STREAM); // its log is a file: stamp the lines
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
            try {
                if (call(instance, new Request.Ping(), Reply.Pong.class).isPresent()) {
                    return;
                }
            } catch (RefusedException e) {
                // not ready to answer yet
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
            Instance instance,
            Optional<String> launchGroup,
            List<Path> configDirectories,
            boolean lockdown,
            boolean manageResolvConf) {
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
        if (manageResolvConf) {
            command.add("--manage-resolv-conf");
        }
        return command;
    }
}
