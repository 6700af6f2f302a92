package dev.wgpr.client.tray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tray on a real session bus (a private dbus-daemon), with a fake watcher as tray host, a fake daemon
 * behind it, and a client that talks to it as GNOME's AppIndicator extension does: GLib's D-Bus (gdbus),
 * GetAll on the item, AboutToShow, GetLayout and Event on the menu.
 */
class TrayProtocolTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path configs;

    private PrivateSessionBus bus;
    private Running current;
    private final List<AutoCloseable> closing = new ArrayList<>();

    @BeforeEach
    void bus() throws IOException {
        assumeTrue(PrivateSessionBus.available(), "dbus-daemon is not installed (./dev.sh installs it)");
        bus = PrivateSessionBus.start();
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing.reversed()) {
            c.close();
        }
        if (bus != null) {
            bus.close();
        }
    }

    /** A tray run on its own thread; its future completes with the exit status. */
    private record Running(CompletableFuture<Integer> exit, StringWriter err) {}

    private Running tray(FakeDaemon daemon, boolean notifications) {
        StringWriter err = new StringWriter();
        Tray.Options options = new Tray.Options(bus.address(), List.of(configs), Duration.ofMillis(200), notifications);
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(
                () -> Tray.run(options, daemon, new PrintWriter(err, true)),
                runnable -> Thread.ofPlatform().daemon().start(runnable));
        current = new Running(exit, err);
        return current;
    }

    private void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline
                    || (current != null && current.exit().isDone())) {
                throw new AssertionError("timed out waiting for " + what + "; the tray "
                        + (current == null
                                ? ""
                                : current.exit().isDone()
                                        ? "exited " + current.exit().join()
                                        : "runs")
                        + ", its errors:\n" + (current == null ? "" : current.err()));
            }
            Thread.sleep(20);
        }
    }

    /** The id of the menu item labelled {@code label} in a GetLayout answer as gdbus prints it. */
    private static int idOf(String layout, String label) {
        Matcher m = Pattern.compile("\\((\\d+), \\{'label': <'" + Pattern.quote(label) + "'>")
                .matcher(layout);
        assertTrue(m.find(), "no item " + label + " in " + layout);
        return Integer.parseInt(m.group(1));
    }

    /** Quit, chosen from the menu; the tray exits 0. */
    private void quit(String item, Running running) throws Exception {
        String layout = bus.gdbus(item, TrayMenu.PATH, "com.canonical.dbusmenu.GetLayout", WAIT, "0", "-1", "[]");
        bus.gdbus(
                item,
                TrayMenu.PATH,
                "com.canonical.dbusmenu.Event",
                WAIT,
                String.valueOf(idOf(layout, "Quit")),
                "clicked",
                "<int32 0>",
                "0");
        assertEquals(
                0,
                running.exit().get(WAIT.toSeconds(), TimeUnit.SECONDS),
                running.err().toString());
    }

    @Test
    void withoutATrayHostItSaysSoInOneSentenceAndExitsNonZero() throws Exception {
        Running running = tray(new FakeDaemon(), false);
        assertEquals(Tray.EXIT_NO_HOST, running.exit().get(WAIT.toSeconds(), TimeUnit.SECONDS));
        String err = running.err().toString();
        assertEquals("wg-pr tray: " + Tray.NO_HOST + "\n", err);
        assertTrue(err.contains("AppIndicator"), err);
        assertFalse(err.contains("Exception"), err);
    }

    @Test
    void itAnswersAsGnomesAppIndicatorExtensionAsks() throws Exception {
        Files.writeString(configs.resolve("demo.toml"), "# a config of a tunnel that is down\n");
        Files.writeString(configs.resolve("corp0.toml"), "# the config of the tunnel that is up\n");
        FakeWatcher watcher = FakeWatcher.start(bus.address());
        closing.add(watcher);
        FakeDaemon daemon = new FakeDaemon();
        Running running = tray(daemon, false);
        await("the item's registration", () -> !watcher.items.isEmpty());
        String item = watcher.items.getFirst();
        assertTrue(item.startsWith("org.kde.StatusNotifierItem-"), item);

        String all = bus.gdbus(
                item, TrayItem.PATH, "org.freedesktop.DBus.Properties.GetAll", WAIT, StatusNotifierItem.INTERFACE);
        assertTrue(all.contains("'IconName': <'network-vpn-symbolic'>"), all);
        assertTrue(all.contains("'Menu': <objectpath '/MenuBar'>"), all);
        assertTrue(all.contains("'ItemIsMenu': <true>"), all);
        assertTrue(all.contains("'Status': <'Active'>"), all);
        assertTrue(all.contains("'IconPixmap': <[(16, 16, [byte"), all);
        assertTrue(all.contains("'ToolTip': <('network-vpn-symbolic', @a(iiay) [], 'wg-pr', 'corp0: up')>"), all);
        String one = bus.gdbus(
                item,
                TrayItem.PATH,
                "org.freedesktop.DBus.Properties.Get",
                WAIT,
                StatusNotifierItem.INTERFACE,
                "Title");
        assertEquals("(<'wg-pr'>,)", one.strip());
        String version = bus.gdbus(
                item, TrayMenu.PATH, "org.freedesktop.DBus.Properties.Get", WAIT, DBusMenu.INTERFACE, "Version");
        assertEquals("(<uint32 3>,)", version.strip());

        bus.gdbus(item, TrayMenu.PATH, "com.canonical.dbusmenu.AboutToShow", WAIT, "0");
        String layout = bus.gdbus(item, TrayMenu.PATH, "com.canonical.dbusmenu.GetLayout", WAIT, "0", "-1", "[]");
        List<String> labels = new ArrayList<>();
        Matcher m = Pattern.compile("'label': <'([^']*)'>").matcher(layout);
        while (m.find()) {
            labels.add(m.group(1));
        }
        assertEquals(
                List.of(
                        "corp0: up",
                        "    corp-gw: handshake 18 seconds ago; 1.18 MiB received, 4.22 KiB sent",
                        "Down corp0",
                        "Launch ssh",
                        "    anything (any program: wg-pr run --app anything -- CMD)",
                        "demo: down",
                        "Up demo",
                        "Status…",
                        "Quit"),
                labels,
                layout);
        assertTrue(layout.contains("'type': <'separator'>"), layout);

        bus.gdbus(
                item,
                TrayMenu.PATH,
                "com.canonical.dbusmenu.Event",
                WAIT,
                String.valueOf(idOf(layout, "Launch ssh")),
                "clicked",
                "<int32 0>",
                "0");
        await("the launch", () -> daemon.calls.contains("launch ssh corp0 [/usr/bin/ssh]"));

        int down = idOf(layout, "Down corp0");
        bus.gdbus(
                item,
                TrayMenu.PATH,
                "com.canonical.dbusmenu.Event",
                WAIT,
                String.valueOf(down),
                "clicked",
                "<int32 0>",
                "0");
        await("the down", () -> daemon.calls.contains("down corp0"));
        await("the disconnected icon", () -> {
            try {
                return bus.gdbus(
                                item,
                                TrayItem.PATH,
                                "org.freedesktop.DBus.Properties.Get",
                                WAIT,
                                StatusNotifierItem.INTERFACE,
                                "IconName")
                        .contains("network-vpn-disconnected-symbolic");
            } catch (IOException | InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        String after = bus.gdbus(item, TrayMenu.PATH, "com.canonical.dbusmenu.GetLayout", WAIT, "0", "-1", "[]");
        int up = idOf(after, "Up corp0");
        assertFalse(after.contains("Down corp0"), after);
        bus.gdbus(
                item,
                TrayMenu.PATH,
                "com.canonical.dbusmenu.Event",
                WAIT,
                String.valueOf(up),
                "clicked",
                "<int32 0>",
                "0");
        await("the up", () -> daemon.calls.contains("up " + configs.resolve("corp0.toml")));

        String refreshed = bus.gdbus(item, TrayMenu.PATH, "com.canonical.dbusmenu.GetLayout", WAIT, "0", "-1", "[]");
        bus.gdbus(
                item,
                TrayMenu.PATH,
                "com.canonical.dbusmenu.Event",
                WAIT,
                String.valueOf(idOf(refreshed, "Quit")),
                "clicked",
                "<int32 0>",
                "0");
        assertEquals(
                0,
                running.exit().get(WAIT.toSeconds(), TimeUnit.SECONDS),
                running.err().toString());
    }

    /** What libdbusmenu and KDE's host use besides: group properties, one property, group events. */
    @Test
    void itAnswersTheGroupCallsOfTheMenu() throws Exception {
        FakeWatcher watcher = FakeWatcher.start(bus.address());
        closing.add(watcher);
        FakeDaemon daemon = new FakeDaemon();
        Running running = tray(daemon, false);
        await("the item's registration", () -> !watcher.items.isEmpty());
        String item = watcher.items.getFirst();
        String layout = bus.gdbus(item, TrayMenu.PATH, "com.canonical.dbusmenu.GetLayout", WAIT, "0", "1", "['label']");
        assertFalse(layout.contains("'enabled'"), "only the properties asked for: " + layout);
        int down = idOf(layout, "Down corp0");
        int launch = idOf(layout, "Launch ssh");

        String group = bus.gdbus(
                item,
                TrayMenu.PATH,
                "com.canonical.dbusmenu.GetGroupProperties",
                WAIT,
                "[" + down + ", " + launch + "]",
                "['label', 'enabled']");
        assertEquals(
                "([(" + down + ", {'label': <'Down corp0'>, 'enabled': <true>}), (" + launch
                        + ", {'label': <'Launch ssh'>, 'enabled': <true>})],)",
                group.strip());
        assertEquals(
                "(<'Launch ssh'>,)",
                bus.gdbus(
                                item,
                                TrayMenu.PATH,
                                "com.canonical.dbusmenu.GetProperty",
                                WAIT,
                                String.valueOf(launch),
                                "label")
                        .strip());
        String shown = bus.gdbus(item, TrayMenu.PATH, "com.canonical.dbusmenu.AboutToShowGroup", WAIT, "[0]");
        assertEquals("(@ai [], @ai [])", shown.strip(), "nothing changed, no error");

        String errors = bus.gdbus(
                item,
                TrayMenu.PATH,
                "com.canonical.dbusmenu.EventGroup",
                WAIT,
                "[(" + launch + ", 'clicked', <int32 0>, uint32 0), (9999, 'clicked', <int32 0>, uint32 0)]");
        assertEquals("([9999],)", errors.strip());
        await("the launch", () -> daemon.calls.contains("launch ssh corp0 [/usr/bin/ssh]"));
        quit(item, running);
    }

    @Test
    void itRegistersAgainWhenTheTrayHostRestarts() throws Exception {
        FakeWatcher first = FakeWatcher.start(bus.address());
        FakeDaemon daemon = new FakeDaemon();
        Running running = tray(daemon, false);
        await("the first registration", () -> !first.items.isEmpty());
        first.close();
        FakeWatcher second = FakeWatcher.start(bus.address());
        closing.add(second);
        await("the registration with the new host", () -> !second.items.isEmpty());
        assertEquals(first.items.getFirst(), second.items.getFirst());
        assertFalse(running.exit().isDone());
        String layout = bus.gdbus(
                second.items.getFirst(), TrayMenu.PATH, "com.canonical.dbusmenu.GetLayout", WAIT, "0", "-1", "[]");
        bus.gdbus(
                second.items.getFirst(),
                TrayMenu.PATH,
                "com.canonical.dbusmenu.Event",
                WAIT,
                String.valueOf(idOf(layout, "Quit")),
                "clicked",
                "<int32 0>",
                "0");
        assertEquals(0, running.exit().get(WAIT.toSeconds(), TimeUnit.SECONDS));
    }

    @Test
    void aDenialIsNotifiedOnceAFloodIsOneBubbleAndTheIconTurns() throws Exception {
        FakeWatcher watcher = FakeWatcher.start(bus.address());
        closing.add(watcher);
        FakeNotificationServer notifications = FakeNotificationServer.start(bus.address());
        closing.add(notifications);
        FakeDaemon daemon = new FakeDaemon();
        Running running = tray(daemon, true);
        await("the registration", () -> !watcher.items.isEmpty());
        String item = watcher.items.getFirst();

        daemon.denials.add(FakeDaemon.denial(1, "ssh", "10.20.1.5", 443));
        await("the notification", () -> !notifications.shown.isEmpty());
        FakeNotificationServer.Shown first = notifications.shown.getFirst();
        assertEquals("ssh was denied 10.20.1.5:443 (corp-gw): not an app", first.summary());
        assertEquals("not an app: internal destinations are for the apps a peer names", first.body());
        assertEquals(List.of(Notifier.LAUNCH_ACTION, "Launch as ssh"), first.actions());
        String icon = bus.gdbus(
                item,
                TrayItem.PATH,
                "org.freedesktop.DBus.Properties.Get",
                WAIT,
                StatusNotifierItem.INTERFACE,
                "IconName");
        assertTrue(icon.contains("network-vpn-no-route-symbolic"), icon);
        String layout = bus.gdbus(item, TrayMenu.PATH, "com.canonical.dbusmenu.GetLayout", WAIT, "0", "-1", "[]");
        assertTrue(layout.contains("'Recently denied:'"), layout);
        assertTrue(layout.contains("'    ssh was denied 10.20.1.5:443 (corp-gw): not an app'"), layout);

        notifications.invoke(first.id(), Notifier.LAUNCH_ACTION);
        await("the launch from the notification", () -> daemon.calls.contains("launch ssh corp0 [/usr/bin/ssh]"));

        int before = notifications.shown.size();
        for (int i = 0; i < 200; i++) {
            daemon.denials.add(FakeDaemon.denial(2 + i, "curl", "10.20.1." + (i % 250), 80));
        }
        await(
                "the flood's notification",
                () -> notifications.shown.stream()
                        .skip(before)
                        .anyMatch(shown -> shown.summary().endsWith("attempts denied")));
        Thread.sleep(3 * Notifier.WINDOW_MILLIS);
        List<FakeNotificationServer.Shown> flood = notifications.shown.subList(before, notifications.shown.size());
        assertTrue(flood.size() <= 3, "a flood of 200 made " + flood.size() + " notifications: " + flood);
        long total = flood.stream()
                .mapToLong(shown -> shown.summary().endsWith("attempts denied")
                        ? Long.parseLong(shown.summary().split(" ")[0])
                        : 1)
                .sum();
        assertEquals(200, total, flood.toString());
        for (FakeNotificationServer.Shown shown : flood.subList(1, flood.size())) {
            assertEquals(flood.getFirst().id(), shown.replaces(), "the flood's later bubbles replace its first");
        }
        quit(item, running);
    }

    @Test
    void aRefusalIsShownWithTheDaemonsReason() throws Exception {
        FakeWatcher watcher = FakeWatcher.start(bus.address());
        closing.add(watcher);
        FakeNotificationServer notifications = FakeNotificationServer.start(bus.address());
        closing.add(notifications);
        FakeDaemon daemon = new FakeDaemon();
        daemon.refuse = "uid 1000 may not bring tunnels down: polkit said no (dev.wgpr.down)";
        Running running = tray(daemon, true);
        await("the registration", () -> !watcher.items.isEmpty());
        String item = watcher.items.getFirst();
        String layout = bus.gdbus(item, TrayMenu.PATH, "com.canonical.dbusmenu.GetLayout", WAIT, "0", "-1", "[]");
        bus.gdbus(
                item,
                TrayMenu.PATH,
                "com.canonical.dbusmenu.Event",
                WAIT,
                String.valueOf(idOf(layout, "Down corp0")),
                "clicked",
                "<int32 0>",
                "0");
        await("the refusal's notification", () -> !notifications.shown.isEmpty());
        assertEquals("Down corp0 failed", notifications.shown.getFirst().summary());
        assertEquals(daemon.refuse, notifications.shown.getFirst().body());
        assertTrue(running.err().toString().contains("wg-pr tray: Down corp0: " + daemon.refuse));
        quit(item, running);
    }
}
