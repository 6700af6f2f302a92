package dev.wgpr.client.cli;

import dev.wgpr.client.control.ControlChannel;
import dev.wgpr.client.control.DaemonStatus;
import dev.wgpr.client.control.DeniedAttempt;
import dev.wgpr.client.control.Reply;
import dev.wgpr.client.control.Request;
import dev.wgpr.client.control.TunnelStatus;
import dev.wgpr.client.daemon.Instance;
import dev.wgpr.client.daemon.LaunchRefusedException;
import dev.wgpr.client.tray.Tray;
import dev.wgpr.client.tray.TrayDaemon;
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

    @Option(
            names = "--no-desktop-entries",
            description = "Write no desktop entries for the apps (by default each app of a tunnel that is up gets"
                    + " one in ~/.local/share/applications, \"Firefox (corp)\", started with wg-pr run --detach).")
    boolean noDesktopEntries;

    @ParentCommand
    WgPrCommand root;

    /**
     * Where wg-pr's own icons are: the package's ({@code /usr/share/icons/hicolor/scalable/status}), or a
     * checkout's ({@code packaging/icons} beside {@code ./wg-pr}); empty: the icon theme's are named.
     */
    private static Optional<Path> icons() {
        List<Path> candidates = new ArrayList<>(List.of(Path.of("/usr/share/icons/hicolor/scalable/status")));
        Optional.ofNullable(System.getenv("WG_PR_SELF"))
                .map(self -> Path.of(self).toAbsolutePath().getParent())
                .ifPresent(
                        checkout -> candidates.add(checkout.resolve("packaging").resolve("icons")));
        return candidates.stream()
                .filter(directory -> Files.isRegularFile(directory.resolve("wg-pr-connected.svg")))
                .findFirst();
    }

    /** {@code $XDG_DATA_HOME/applications}, by default {@code ~/.local/share/applications}. */
    private static Path applications() {
        String data = System.getenv("XDG_DATA_HOME");
        return (data == null || data.isBlank()
                        ? Path.of(System.getProperty("user.home"), ".local", "share")
                        : Path.of(data))
                .resolve("applications");
    }

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
                        !noNotifications,
                        noDesktopEntries ? Optional.empty() : Optional.of(applications()),
                        Optional.ofNullable(System.getenv("WG_PR_SELF")).orElse("wg-pr"),
                        icons()),
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
            PrintWriter problemsWriter = new PrintWriter(problems, true);
            Optional<ConfigLoading.ForDaemon> loaded = ConfigLoading.forDaemon(config, problemsWriter);
            // As `wg-pr up` without --force: the tray never forces; what needs it is refused, and says why.
            if (loaded.isEmpty() || ConfigLoading.refusedWithoutForce(loaded.get(), false, "up", problemsWriter)) {
                throw new Failure(problems.toString().strip());
            }
            try {
                return DaemonClient.require(
                                instance,
                                new Request.Up(loaded.get().text(), false),
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

        /** As {@code wg-pr run --detach}, from the user's home (or / when it has none), as a desktop starts apps. */
        @Override
        public long launch(String app, String tunnel, List<String> argv) throws Failure {
            String home = System.getProperty("user.home");
            String cwd = home != null && Files.isDirectory(Path.of(home)) ? home : "/";
            try {
                return RunCommand.detached(instance, app, tunnel, argv, cwd);
            } catch (LaunchRefusedException | DaemonClient.DaemonException e) {
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
