package dev.wgpr.client.cli;

import dev.wgpr.client.control.ControlJson;
import dev.wgpr.client.control.Protocol;
import dev.wgpr.client.control.Reply;
import dev.wgpr.client.control.Request;
import dev.wgpr.client.daemon.Instance;
import dev.wgpr.common.Pace;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The workload the build runs once with {@code -XX:AOTCacheOutput} to make the CLI's ahead-of-time
 * cache (JEP 483, 514, 515): the commands people type most, in one JVM, so the classes they load and
 * link, and the methods they run hot, are in the cache. Nothing it runs changes the system: {@code
 * status} and {@code events} ask a stand-in daemon of this run's own instance, which answers with a
 * recorded status of a real daemon with one tunnel up ({@value #RECORDED_STATUS}); {@code check} reads
 * the example config it is given. Where the stand-in cannot listen (a build that is not root's), they ask
 * an instance no daemon serves, and the cache holds less.
 *
 * <p>With {@code --only COMMAND} first, only the forms of {@code COMMAND} that {@link FastPath} runs
 * without picocli ({@code status}, {@code check} of each config given, {@code run}): the cache the
 * launchers choose for that command, whose classes are all a JVM has to load from it (it loads every
 * class of its cache as it starts, about 2,800 in the whole CLI's).
 *
 * <p>Usage: {@code java -XX:AOTCacheOutput=wg-pr.aot -cp wg-pr.jar dev.wgpr.client.cli.StartUpTraining
 * [--only COMMAND] CONFIG...}
 */
public final class StartUpTraining {
    static final String RECORDED_STATUS = "start-up-training-status.json";

    private StartUpTraining() {}

    public static void main(String[] args) throws IOException {
        Pace.recordStartUp(); // as Main does first
        Optional<String> only = args[0].equals("--only") ? Optional.of(args[1]) : Optional.empty();
        List<String> configs = Arrays.stream(args)
                .skip(only.isPresent() ? 2 : 0)
                .map(config -> Path.of(config).toString())
                .toList();
        Instance instance =
                new Instance("wgpr-start-up-training-" + ProcessHandle.current().pid());
        Optional<StandInDaemon> daemon = StandInDaemon.listen(instance);
        try {
            String name = instance.name();
            List<String[]> commands = new ArrayList<>();
            for (String config : configs) {
                commands.add(new String[] {"check", config});
            }
            commands.add(new String[] {"--instance", name, "status"});
            commands.add(new String[] {"--instance", name, "status", "--json"});
            // Started and ended at once by the stand-in: all of run's side, the hand-over to the waiter
            // up to its exec (of a perl that is not there), and the way on without one; no app runs.
            commands.add(new String[] {"--instance", name, "run", "--app", "training", "--", "/bin/true"});
            // Not the root's --help: it builds every subcommand's model, whose classes every start
            // would then load from the cache whether it needs them or not.
            commands.addAll(List.of(
                    new String[] {"--version"},
                    new String[] {"--instance", name, "events"},
                    new String[] {"--instance", name, "down", "corp"},
                    new String[] {"run", "--help"},
                    new String[] {"up", "--help"},
                    new String[] {"genkey"}));
            Waiter.handOverTo(instance.runtimeDirectory().resolve("no-perl").toString());
            PrintStream discard = new PrintStream(OutputStream.nullOutputStream());
            for (String[] command : commands) {
                String word = command[0].equals("--instance") ? command[2] : command[0];
                if (only.isPresent() && !(only.get().equals(word) && FastPath.takes(command))) {
                    continue;
                }
                Main.execute(command, new ByteArrayInputStream(new byte[0]), discard, discard);
            }
            // What System.exit, which ends every command, looks up: the JDK's logging backend, whose
            // classes would otherwise be loaded from the runtime image at every exit.
            System.getLogger("java.lang.Runtime").isLoggable(System.Logger.Level.DEBUG);
        } finally {
            if (daemon.isPresent()) {
                daemon.get().close();
            }
        }
    }

    /** The recorded answer to {@code status}, one protocol line. */
    static String recordedStatus() throws IOException {
        try (InputStream in = StartUpTraining.class.getResourceAsStream(RECORDED_STATUS)) {
            if (in == null) {
                throw new IOException("resource " + RECORDED_STATUS + " is missing");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
        }
    }

    /** Answers the training's requests on the instance's control socket, one connection at a time. */
    static final class StandInDaemon implements AutoCloseable {
        private final Instance instance;
        private final ServerSocketChannel server;
        private final Thread acceptor;

        private StandInDaemon(Instance instance, ServerSocketChannel server) {
            this.instance = instance;
            this.server = server;
            this.acceptor = Thread.ofPlatform().daemon().name("stand-in daemon").start(this::serve);
        }

        static Optional<StandInDaemon> listen(Instance instance) {
            try {
                Files.createDirectories(instance.runtimeDirectory());
                ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
                server.bind(UnixDomainSocketAddress.of(instance.controlSocket()));
                return Optional.of(new StandInDaemon(instance, server));
            } catch (IOException e) {
                return Optional.empty();
            }
        }

        private void serve() {
            while (true) {
                try (SocketChannel connection = server.accept()) {
                    BufferedReader in = new BufferedReader(
                            new InputStreamReader(Channels.newInputStream(connection), StandardCharsets.UTF_8));
                    String answer = switch (ControlJson.readRequest(in.readLine())) {
                        case Request.Status status -> recordedStatus();
                        // Text of its own, not the recorded status rendered: rendering is the daemon's, and
                        // its classes would be loaded at every start of a command whose cache held them.
                        case Request.StatusText text ->
                            ControlJson.write(new Reply.StatusText(
                                    "instance " + instance.name() + ": a stand-in daemon\n", List.of()));
                        case Request.Ping ping -> ControlJson.write(new Reply.Pong(0, instance.name()));
                        case Request.Events events -> ControlJson.write(new Reply.Events(List.of(), 0, 0));
                        case Request.Run run ->
                            ControlJson.write(new Reply.Started(
                                            ProcessHandle.current().pid())) + "\n"
                                    + ControlJson.write(new Reply.Exit(0, null));
                        default ->
                            ControlJson.write(
                                    new Reply.Error(Protocol.FAILED, "no tunnel corp is up (a stand-in daemon)", null));
                    };
                    connection.write(ByteBuffer.wrap((answer + "\n").getBytes(StandardCharsets.UTF_8)));
                } catch (IOException | RuntimeException e) {
                    if (!server.isOpen()) {
                        return;
                    }
                }
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            Files.deleteIfExists(instance.controlSocket());
            Files.deleteIfExists(instance.runtimeDirectory());
        }
    }
}
