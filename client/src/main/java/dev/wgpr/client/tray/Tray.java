package dev.wgpr.client.tray;

import dev.wgpr.client.control.DaemonStatus;
import dev.wgpr.client.control.DeniedAttempt;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.exceptions.DBusExecutionException;
import org.freedesktop.dbus.interfaces.DBus;
import org.freedesktop.dbus.types.UInt32;

/**
 * {@code wg-pr tray}: a StatusNotifierItem with a dbusmenu menu on the user's session bus, over the daemon's
 * control socket ({@link TrayDaemon}). It registers with the StatusNotifierWatcher, and again whenever the
 * watcher's name gets a new owner (the tray host restarted). Without a watcher it says how to get one and
 * returns {@link #EXIT_NO_HOST}.
 */
public final class Tray {
    /** Exit status when there is no session bus or no tray host on it. */
    public static final int EXIT_NO_HOST = 3;

    /** The sentence said when no tray host runs. */
    public static final String NO_HOST = "no tray host is running on the session bus (no"
            + " org.kde.StatusNotifierWatcher): use a desktop with a system tray (KDE Plasma, waybar's tray"
            + " module, or on GNOME the \"AppIndicator and KStatusNotifierItem Support\" extension) and run"
            + " wg-pr tray again";

    private static final AtomicInteger ITEMS = new AtomicInteger();

    /**
     * How the tray runs.
     *
     * @param busAddress the session bus's address ({@code DBUS_SESSION_BUS_ADDRESS}); null or blank: none
     * @param configDirectories where the configs the user may bring up are ({@code /etc/wg-pr})
     * @param poll how often the status is asked for while the menu is closed
     * @param notifications whether denials become desktop notifications
     * @param applications where the desktop entries of the apps go ({@code ~/.local/share/applications});
     *     empty: none
     * @param self how a desktop entry runs wg-pr ({@code /usr/bin/wg-pr})
     * @param icons the directory of wg-pr's own icons ({@code wg-pr-connected.svg}, ...); empty: the theme's
     */
    public record Options(
            String busAddress,
            List<Path> configDirectories,
            Duration poll,
            boolean notifications,
            Optional<Path> applications,
            String self,
            Optional<Path> icons) {
        public Options {
            configDirectories = List.copyOf(configDirectories);
        }

        /** No desktop entries, the theme's icons. */
        public Options(String busAddress, List<Path> configDirectories, Duration poll, boolean notifications) {
            this(busAddress, configDirectories, poll, notifications, Optional.empty(), "wg-pr", Optional.empty());
        }

        /** These options with wg-pr's own icons from {@code directory}. */
        public Options withIcons(Path directory) {
            return new Options(
                    busAddress, configDirectories, poll, notifications, applications, self, Optional.of(directory));
        }
    }

    private final Options options;
    private final TrayDaemon daemon;
    private final PrintWriter err;
    private final Clock clock;
    private final CountDownLatch quit = new CountDownLatch(1);
    private final ExecutorService work = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().daemon().name("wg-pr-tray-work").factory());
    private final Object refreshing = new Object();
    private final List<DeniedAttempt> denials = new ArrayList<>();
    private volatile Optional<String> problem = Optional.empty();
    private volatile DaemonStatus lastStatus;
    private DBusConnection bus;
    private String busName;
    private TrayItem item;
    private TrayMenu menu;
    private Notifier notifier;
    private final Optional<DesktopEntries> desktopEntries;
    private List<String> appsWithEntries = null;

    private Tray(Options options, TrayDaemon daemon, PrintWriter err, Clock clock) {
        this.options = options;
        this.daemon = daemon;
        this.err = err;
        this.clock = clock;
        this.desktopEntries = options.applications()
                .map(directory ->
                        new DesktopEntries(directory, options.self(), List.of(Path.of("/usr/share/applications"))));
    }

    /** Runs the tray until Quit is chosen, the bus goes, or there is no tray host; the exit status. */
    public static int run(Options options, TrayDaemon daemon, PrintWriter err) {
        return new Tray(options, daemon, err, Clock.systemUTC()).run();
    }

    private int run() {
        if (options.busAddress() == null || options.busAddress().isBlank()) {
            err.println("wg-pr tray: no session bus (DBUS_SESSION_BUS_ADDRESS is not set): run it inside your"
                    + " desktop session");
            return EXIT_NO_HOST;
        }
        try {
            bus = DBusConnectionBuilder.forAddress(options.busAddress())
                    .withShared(false)
                    .build();
        } catch (DBusException e) {
            err.println("wg-pr tray: cannot reach the session bus at " + options.busAddress() + ": " + e.getMessage());
            return EXIT_NO_HOST;
        } catch (RuntimeException e) {
            // dbus-java's way to say that the bus closed the connection during authentication
            err.println("wg-pr tray: the session bus at " + options.busAddress() + " closed the connection (is it"
                    + " this user's?)");
            return EXIT_NO_HOST;
        }
        try {
            DBus dbus = bus.getRemoteObject("org.freedesktop.DBus", "/org/freedesktop/DBus", DBus.class);
            if (!dbus.NameHasOwner(StatusNotifierWatcher.BUS_NAME)) {
                err.println("wg-pr tray: " + NO_HOST);
                return EXIT_NO_HOST;
            }
            item = new TrayItem("wg-pr", how -> work.execute(this::refresh), options.icons());
            menu = new TrayMenu(action -> work.execute(() -> perform(action)), this::refresh);
            notifier = new Notifier(bus, options.notifications(), err, this::launchFromNotification);
            busName = "org.kde.StatusNotifierItem-" + ProcessHandle.current().pid() + "-" + ITEMS.incrementAndGet();
            bus.requestBusName(busName);
            bus.exportObject(TrayItem.PATH, item);
            bus.exportObject(TrayMenu.PATH, menu);
            refresh();
            bus.addSigHandler(DBus.NameOwnerChanged.class, signal -> {
                if (StatusNotifierWatcher.BUS_NAME.equals(signal.name) && !signal.newOwner.isEmpty()) {
                    work.execute(this::register); // the tray host came (back): show the item there again
                }
            });
            register();
            Thread denialsThread =
                    Thread.ofPlatform().daemon().name("wg-pr-tray-denials").start(this::followDenials);
            while (!quit.await(options.poll().toMillis(), TimeUnit.MILLISECONDS)) {
                if (!bus.isConnected()) {
                    err.println("wg-pr tray: the session bus went away");
                    return 1;
                }
                refresh();
            }
            denialsThread.interrupt();
            leave();
            return 0;
        } catch (DBusException | DBusExecutionException e) {
            err.println("wg-pr tray: "
                    + (bus.isConnected()
                            ? "the session bus refused: " + e.getMessage()
                            : "the session bus at " + options.busAddress()
                                    + " closed the connection (is it this user's?)"));
            return bus.isConnected() ? 1 : EXIT_NO_HOST;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        } finally {
            work.shutdownNow();
            bus.disconnect();
        }
    }

    /**
     * Gives up the item's name (the hosts drop the item at once), then leaves the replies of the calls still
     * in flight (Quit's own Event among them) time to go out before the connection closes: dbus-java sends a
     * reply after the method returned, and on a closed connection it would print a stack trace.
     */
    private void leave() {
        try {
            bus.releaseBusName(busName);
        } catch (DBusException | DBusExecutionException e) {
            // the bus is going anyway
        }
        try {
            Thread.sleep(250);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Tells the watcher of the item; a watcher gone again in between is no error (its successor asks anew). */
    private void register() {
        try {
            StatusNotifierWatcher watcher = bus.getRemoteObject(
                    StatusNotifierWatcher.BUS_NAME, StatusNotifierWatcher.OBJECT_PATH, StatusNotifierWatcher.class);
            watcher.RegisterStatusNotifierItem(busName);
        } catch (DBusException | DBusExecutionException e) {
            err.println("wg-pr tray: the tray host did not take the item: " + e.getMessage());
        }
    }

    /** Asks the daemon for its status and shows it: menu, icon, tooltip, each announced when it changed. */
    void refresh() {
        synchronized (refreshing) {
            DaemonStatus status;
            try {
                status = daemon.status();
                problem = Optional.empty();
                entries(status);
            } catch (TrayDaemon.Failure e) {
                status = lastStatus == null ? DaemonStatus.noDaemon("?") : lastStatus;
                problem = Optional.of("The daemon cannot be asked: " + e.getMessage());
            }
            lastStatus = status;
            Menu.Snapshot snapshot;
            synchronized (denials) {
                snapshot = new Menu.Snapshot(status, configs(), denials, problem, clock.instant());
            }
            long revision = menu.show(Menu.entries(snapshot, daemon));
            boolean iconChanged = item.icon(Menu.icon(snapshot));
            boolean tooltipChanged = item.tooltip(Menu.tooltip(snapshot));
            try {
                if (revision != 0) {
                    bus.sendMessage(new DBusMenu.LayoutUpdated(TrayMenu.PATH, new UInt32(revision), 0));
                }
                if (iconChanged) {
                    bus.sendMessage(new StatusNotifierItem.NewIcon(TrayItem.PATH));
                    bus.sendMessage(new StatusNotifierItem.NewStatus(
                            TrayItem.PATH, item.icon() == Menu.Icon.DENIED ? "NeedsAttention" : "Active"));
                }
                if (tooltipChanged) {
                    bus.sendMessage(new StatusNotifierItem.NewToolTip(TrayItem.PATH));
                }
            } catch (DBusException e) {
                // a signal that cannot be made: the hosts see the change at their next Get
            }
        }
    }

    /** The desktop entries of the apps, when the apps changed. */
    private void entries(DaemonStatus status) {
        List<String> apps = status.tunnels().stream()
                .flatMap(tunnel ->
                        tunnel.apps().stream().map(app -> tunnel.name() + "/" + app.name() + "=" + app.exec()))
                .toList();
        if (!apps.equals(appsWithEntries)) {
            appsWithEntries = apps;
            desktopEntries.ifPresent(entries -> entries.update(status));
        }
    }

    /** The configs in the config directories, by name. */
    private List<Path> configs() {
        List<Path> configs = new ArrayList<>();
        for (Path directory : options.configDirectories()) {
            try (Stream<Path> files = Files.list(directory)) {
                files.filter(file -> file.getFileName().toString().endsWith(".toml"))
                        .sorted()
                        .forEach(configs::add);
            } catch (IOException e) {
                // a directory that is not there or not readable: no configs from it
            }
        }
        return configs;
    }

    /** Follows this user's denials as long as the tray runs, reconnecting when the daemon comes and goes. */
    private void followDenials() {
        while (quit.getCount() > 0 && !Thread.currentThread().isInterrupted()) {
            try {
                daemon.denials(
                        recent -> {
                            synchronized (denials) {
                                denials.clear();
                                denials.addAll(recent);
                            }
                            work.execute(this::refresh);
                        },
                        denial -> {
                            synchronized (denials) {
                                denials.add(denial);
                                if (denials.size() > 100) {
                                    denials.removeFirst();
                                }
                            }
                            notifier.denied(denial, lastStatus);
                            work.execute(this::refresh);
                        });
            } catch (TrayDaemon.Failure | IOException e) {
                // no daemon, or it went: try again in a while
            } catch (RuntimeException e) {
                // a rejected refresh after Quit
            }
            try {
                Thread.sleep(options.poll().toMillis());
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void perform(Menu.Action action) {
        try {
            switch (action) {
                case Menu.Action.Up up -> daemon.up(up.config());
                case Menu.Action.Down down -> daemon.down(down.tunnel());
                case Menu.Action.Launch launch -> daemon.launch(launch.app(), launch.tunnel(), List.of(launch.exec()));
                case Menu.Action.ShowStatus show -> notifier.show("wg-pr status", daemon.statusText(daemon.status()));
                case Menu.Action.Quit q -> quit.countDown();
            }
        } catch (TrayDaemon.Failure e) {
            String what = switch (action) {
                case Menu.Action.Up up -> "Up " + Menu.stem(up.config());
                case Menu.Action.Down down -> "Down " + down.tunnel();
                case Menu.Action.Launch launch -> "Launch " + launch.app();
                default -> "Status";
            };
            err.println("wg-pr tray: " + what + ": " + e.getMessage());
            notifier.show(what + " failed", e.getMessage());
        }
        refresh();
    }

    private void launchFromNotification(Menu.Action.Launch launch) {
        work.execute(() -> perform(launch));
    }
}
