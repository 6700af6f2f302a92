package dev.wgpr.client.cli;

import dev.wgpr.client.control.ControlChannel;
import dev.wgpr.client.control.DaemonStatus;
import dev.wgpr.client.control.DeniedAttempt;
import dev.wgpr.client.control.Reply;
import dev.wgpr.client.control.Request;
import dev.wgpr.client.control.TunnelStatus;
import dev.wgpr.client.control.UnixSocket;
import dev.wgpr.client.daemon.Instance;
import dev.wgpr.client.daemon.LaunchRefusedException;
import dev.wgpr.client.tray.Tray;
import dev.wgpr.client.tray.TrayDaemon;
import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import dev.wgpr.common.linux.OwnedFd;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(
        name = "tray",
        mixinStandardHelpOptions = true,
        description = {
            "The desktop tray: an icon in your desktop's system tray (a StatusNotifierItem on the session"
                    + " bus) whose menu shows each tunnel, its state, handshake and transfer, brings tunnels"
                    + " up and down, launches the apps a tunnel names, and lists the latest denials of your"
                    + " own processes, which also become desktop notifications.",
            "Run it as yourself, not as root: it asks the daemon for everything, as the other commands do,"
                    + " and may do what they may (up, down and run as polkit or the launch group allow).",
        },
        footer = {
            "",
            "Exit status: 0 after Quit; 3 when there is no session bus or no tray host on it; 1 on other errors."
        })
final class TrayCommand implements Callable<Integer> {
    @Option(
            names = "--config-dir",
            paramLabel = "DIR",
            description = "Where the configs the menu offers to bring up are (default: /etc/wg-pr); repeatable.")
    List<Path> configDirectories = new ArrayList<>();

    @Option(names = "--no-notifications", description = "No desktop notifications of denials.")
    boolean noNotifications;

    @ParentCommand
    WgPrCommand root;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        List<Path> directories = configDirectories.isEmpty() ? List.of(Path.of("/etc/wg-pr")) : configDirectories;
        return Tray.run(
                new Tray.Options(
                        System.getenv("DBUS_SESSION_BUS_ADDRESS"),
                        directories,
                        Duration.ofSeconds(2),
                        !noNotifications),
                new ThroughTheSocket(root.instance()),
                spec.commandLine().getErr());
    }

    /** The tray's daemon: the instance's, through the CLI's own client. */
    static final class ThroughTheSocket implements TrayDaemon {
        private final Instance instance;

        ThroughTheSocket(Instance instance) {
            this.instance = instance;
        }

        @Override
        public DaemonStatus status() throws Failure {
            try {
                return DaemonClient.call(instance, new Request.Status(), DaemonStatus.class)
                        .orElseGet(() -> DaemonStatus.noDaemon(instance.name()));
            } catch (DaemonClient.DaemonException e) {
                throw new Failure(e.getMessage());
            }
        }

        @Override
        public void denials(Consumer<List<DeniedAttempt>> recent, Consumer<DeniedAttempt> follow)
                throws Failure, IOException {
            try (ControlChannel connection = DaemonClient.connect(instance, "no daemon runs")) {
                DaemonClient.send(connection, new Request.Events(true));
                recent.accept(
                        DaemonClient.receive(connection, Reply.Events.class).events());
                while (true) {
                    if (DaemonClient.receiveEvent(connection) instanceof DeniedAttempt event) {
                        follow.accept(event);
                    }
                }
            } catch (DaemonClient.DaemonException e) {
                throw new Failure(e.getMessage());
            }
        }

        @Override
        public String up(Path config) throws Failure {
            StringWriter problems = new StringWriter();
            Optional<ConfigLoading.ForDaemon> loaded = ConfigLoading.forDaemon(config, new PrintWriter(problems, true));
            if (loaded.isEmpty()) {
                throw new Failure(problems.toString().strip());
            }
            try {
                return DaemonClient.require(
                                instance,
                                new Request.Up(loaded.get().text()),
                                Reply.Upped.class,
                                "no daemon runs (only root may start one: sudo wg-pr up, or systemctl start wg-pr)")
                        .tunnel();
            } catch (DaemonClient.DaemonException e) {
                throw new Failure(e.getMessage());
            }
        }

        @Override
        public void down(String tunnel) throws Failure {
            try {
                DaemonClient.require(instance, new Request.Down(tunnel), Reply.Downed.class, "no daemon runs");
            } catch (DaemonClient.DaemonException e) {
                throw new Failure(e.getMessage());
            }
        }

        /** As {@code wg-pr run}, but detached: stdio on /dev/null, and the daemon keeps no session with the tray. */
        @Override
        public long launch(String app, String tunnel, List<String> argv) throws Failure {
            String home = System.getProperty("user.home");
            String cwd = home != null && Files.isDirectory(Path.of(home)) ? home : "/"; // as a desktop starts apps
            Request.Run request = new Request.Run(app, tunnel, argv, cwd, System.getenv(), true);
            try (OwnedFd command = CommandFile.open(
                            argv.getFirst(),
                            Optional.ofNullable(System.getenv("PATH")).orElse(""));
                    OwnedFd nothing = new OwnedFd(Libc.open("/dev/null", Libc.O_RDWR | Libc.O_CLOEXEC), "/dev/null");
                    UnixSocket connection = DaemonClient.connectForDescriptors(instance, "no daemon runs")) {
                DaemonClient.send(connection, request, nothing.fd(), nothing.fd(), nothing.fd(), command.fd());
                return DaemonClient.receive(connection, Reply.Started.class).pid();
            } catch (LaunchRefusedException e) {
                throw new Failure(e.getMessage());
            } catch (ErrnoException e) {
                throw new Failure("cannot open /dev/null: " + e.getMessage());
            } catch (IOException e) {
                throw new Failure("lost the daemon: " + e.getMessage());
            } catch (DaemonClient.DaemonException e) {
                throw new Failure(e.getMessage());
            }
        }

        @Override
        public String handshake(TunnelStatus.Peer peer) {
            return text().handshake(peer);
        }

        @Override
        public String transfer(TunnelStatus.Peer peer) {
            return StatusText.transfer(peer);
        }

        @Override
        public String statusText(DaemonStatus status) {
            return text().render(status);
        }

        private static StatusText text() {
            return new StatusText(Clock.systemDefaultZone(), false, StatusCommand::borrowing);
        }
    }
}
