package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.wgpr.client.config.TunnelConfig;
import dev.wgpr.client.daemon.DaemonTesting.Cli;
import dev.wgpr.client.daemon.DaemonTesting.Result;
import dev.wgpr.client.tray.FakeNotificationServer;
import dev.wgpr.client.tray.FakeWatcher;
import dev.wgpr.client.tray.PrivateSessionBus;
import dev.wgpr.enforcement.cgroup.ScratchCgroup;
import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.RequiresRoot;
import dev.wgpr.testing.lab.Namespace;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The real {@code wg-pr tray}, as nobody, over a real daemon's control socket, on a session bus of the
 * test's own with a fake watcher: Launch from its menu starts the app as nobody, in the app's cgroup,
 * detached (it outlives the tray); a user the daemon refuses is told why, in a notification.
 */
@RequiresRoot
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
class TrayWithTheDaemonTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String CONFIG = """
            [interface]
            name = "wgprtray1"
            privateKey = "@OUR_PRIVATE_KEY@"
            address = ["10.79.0.2/32"]

            [[peer]]
            name = "gw"
            publicKey = "@PEER_KEY@"
            endpoint = "192.0.2.1:51820"
            allowedIPs = ["10.79.10.0/24"]

            [[peer.allowedApps]]
            name = "monitor"
            exec = "/usr/bin/dbus-monitor"
            """;

    private static final Instance instance = DaemonTesting.uniqueInstance();
    private static Daemon daemon;
    private PrivateSessionBus bus;
    private final List<Process> trays = new ArrayList<>();
    private final List<Long> apps = new ArrayList<>();

    @BeforeAll
    static void startDaemon(NetnsLab lab) throws Exception {
        Namespace ns = lab.namespace("tray");
        daemon = ns.call(
                () -> Daemon.start(instance, new Daemon.Options(Integer.toString(DaemonTesting.NOBODY), List.of())));
        daemon.tunnels()
                .addWithoutNetwork(TunnelConfig.load(DaemonTesting.config("tray.toml", CONFIG))
                        .config());
    }

    @AfterAll
    static void stopDaemon() throws Exception {
        if (daemon != null) {
            daemon.stop();
        }
        DaemonTesting.cleanUp(instance);
    }

    @BeforeEach
    void bus() throws IOException {
        assumeTrue(PrivateSessionBus.available(), "dbus-daemon is not installed");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/gdbus")), "gdbus is not installed");
        bus = PrivateSessionBus.start(true);
    }

    @AfterEach
    void stop() throws Exception {
        for (Process tray : trays) {
            tray.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        for (long pid : apps) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
        bus.close();
    }

    private Process tray(Cli as) throws IOException {
        Process tray = as.withEnvironment(Map.of("DBUS_SESSION_BUS_ADDRESS", bus.address()))
                .start("tray", "--config-dir", "/nonexistent");
        trays.add(tray);
        return tray;
    }

    private void click(String item, String label) throws IOException, InterruptedException {
        String layout = bus.gdbus(item, "/MenuBar", "com.canonical.dbusmenu.GetLayout", WAIT, "0", "-1", "[]");
        Matcher m = Pattern.compile("\\((\\d+), \\{'label': <'" + Pattern.quote(label) + "'>")
                .matcher(layout);
        assertTrue(m.find(), "no " + label + " in " + layout);
        bus.gdbus(item, "/MenuBar", "com.canonical.dbusmenu.Event", WAIT, m.group(1), "clicked", "<int32 0>", "0");
    }

    /** The processes running {@code comm} in the app cgroup of {@code app}. */
    private static List<Long> inAppCgroup(String comm, String app) {
        List<Long> found = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path proc : procs.filter(p -> p.getFileName().toString().matches("\\d+"))
                    .toList()) {
                try {
                    if (Files.readString(proc.resolve("comm")).strip().equals(comm)
                            && Files.readString(proc.resolve("cgroup"))
                                    .contains("0::/" + instance + "/" + app + "\n")) {
                        found.add(Long.parseLong(proc.getFileName().toString()));
                    }
                } catch (IOException e) {
                    // gone meanwhile
                }
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return found;
    }

    private static Optional<String> uid(long pid) {
        try {
            return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream()
                    .filter(line -> line.startsWith("Uid:"))
                    .map(line -> line.split("\\s+")[1])
                    .findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    @Test
    void launchFromTheMenuStartsTheAppAsTheUserInItsCgroupDetached() throws Exception {
        try (FakeWatcher watcher = FakeWatcher.start(bus.address())) {
            Process tray = tray(Cli.nobody(instance));
            DaemonTesting.await("the tray's registration", () -> !watcher.items.isEmpty() || !tray.isAlive());
            assertTrue(tray.isAlive(), () -> "the tray exited: " + result(tray));
            String item = watcher.items.getFirst();

            click(item, "Launch monitor");
            DaemonTesting.await(
                    "dbus-monitor in the app's cgroup",
                    () -> !inAppCgroup("dbus-monitor", "monitor").isEmpty());
            long app = inAppCgroup("dbus-monitor", "monitor").getFirst();
            apps.add(app);
            assertEquals(Optional.of("65534"), uid(app), "the app runs as the tray's user");

            click(item, "Quit");
            assertTrue(tray.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS), "the tray did not quit");
            Result quit = DaemonTesting.finish(tray);
            assertEquals(0, quit.exitCode(), quit::toString);
            Thread.sleep(500);
            assertTrue(ProcessHandle.of(app).map(ProcessHandle::isAlive).orElse(false), "the app outlives the tray");
            assertEquals(List.of(app), inAppCgroup("dbus-monitor", "monitor"));
        }
    }

    /**
     * The daemon streams a user's own deny events to that user: an app of the tray's user moved out of its
     * cgroup (as systemd-run --scope does) becomes a notification, the menu's latest denial, and a line of
     * that user's {@code wg-pr events}.
     */
    @Test
    void theUsersOwnDenialsReachTheTrayAsNotifications() throws Exception {
        ScratchCgroup elsewhere = ScratchCgroup.create(DaemonTesting.cgroup2(), "wgpr-tray-escape");
        try (FakeWatcher watcher = FakeWatcher.start(bus.address());
                FakeNotificationServer notifications = FakeNotificationServer.start(bus.address())) {
            Process tray = tray(Cli.nobody(instance));
            DaemonTesting.await("the tray's registration", () -> !watcher.items.isEmpty() || !tray.isAlive());
            assertTrue(tray.isAlive(), () -> "the tray exited: " + result(tray));
            String item = watcher.items.getFirst();
            click(item, "Launch monitor");
            DaemonTesting.await(
                    "dbus-monitor in the app's cgroup",
                    () -> !inAppCgroup("dbus-monitor", "monitor").isEmpty());
            long app = inAppCgroup("dbus-monitor", "monitor").getFirst();
            apps.add(app);

            Files.writeString(elsewhere.path().resolve("cgroup.procs"), Long.toString(app));

            DaemonTesting.await("the notification", () -> !notifications.shown.isEmpty());
            FakeNotificationServer.Shown shown = notifications.shown.getFirst();
            assertEquals(
                    "dbus-monitor left app monitor's cgroup: denied from now on", shown.summary(), shown::toString);
            String layout = bus.gdbus(item, "/MenuBar", "com.canonical.dbusmenu.GetLayout", WAIT, "0", "-1", "[]");
            assertTrue(layout.contains("\"    dbus-monitor left app monitor's cgroup: denied from now on\""), layout);
            Result events = Cli.nobody(instance).run("events");
            assertEquals(0, events.exitCode(), events::toString);
            assertTrue(
                    events.out().contains("pid " + app + " (dbus-monitor) uid 65534 app monitor: denied from now on"),
                    events::toString);

            click(item, "Quit");
            assertTrue(tray.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS), "the tray did not quit");
            assertEquals(0, DaemonTesting.finish(tray).exitCode());
        } finally {
            for (long pid : apps) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
            for (int attempt = 0; ; attempt++) {
                try {
                    elsewhere.close();
                    break;
                } catch (java.nio.file.FileSystemException e) {
                    if (attempt == 50) {
                        throw e;
                    }
                    Thread.sleep(100);
                }
            }
        }
    }

    /** What the apps' desktop entries run: wg-pr run --detach returns at once with the app's pid, the app runs on. */
    @Test
    void runDetachReturnsAtOnceAndTheAppRunsOnInItsCgroup() throws Exception {
        Result run = Cli.nobody(instance)
                .withEnvironment(Map.of("DBUS_SESSION_BUS_ADDRESS", bus.address()))
                .run("run", "--detach", "--app", "monitor", "--", "/usr/bin/dbus-monitor");

        assertEquals(0, run.exitCode(), run::toString);
        long pid = Long.parseLong(run.out().strip());
        apps.add(pid);
        assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "the app runs on");
        assertEquals(List.of(pid), inAppCgroup("dbus-monitor", "monitor"));
        assertEquals(Optional.of("65534"), uid(pid));
    }

    @Test
    void aUserTheDaemonRefusesIsToldWhy() throws Exception {
        try (FakeWatcher watcher = FakeWatcher.start(bus.address());
                FakeNotificationServer notifications = FakeNotificationServer.start(bus.address())) {
            Process tray = tray(Cli.nobody(instance).as(1, 1)); // daemon: not in the launch group
            DaemonTesting.await("the tray's registration", () -> !watcher.items.isEmpty() || !tray.isAlive());
            assertTrue(tray.isAlive(), () -> "the tray exited: " + result(tray));
            String item = watcher.items.getFirst();

            click(item, "Launch monitor");
            DaemonTesting.await("the refusal's notification", () -> !notifications.shown.isEmpty());
            FakeNotificationServer.Shown shown = notifications.shown.getFirst();
            assertEquals("Launch monitor failed", shown.summary());
            assertTrue(shown.body().contains("uid 1"), shown.toString());
            assertTrue(inAppCgroup("dbus-monitor", "monitor").isEmpty());

            click(item, "Quit");
            assertTrue(tray.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS), "the tray did not quit");
            Result quit = DaemonTesting.finish(tray);
            assertEquals(0, quit.exitCode(), quit::toString);
            assertTrue(quit.err().contains("wg-pr tray: Launch monitor: " + shown.body()), quit::toString);
        }
    }

    private static String result(Process tray) {
        try {
            return DaemonTesting.finish(tray).toString();
        } catch (IOException | InterruptedException e) {
            return e.toString();
        }
    }
}
