package dev.wgpr.client.tray;

import dev.wgpr.client.control.DaemonStatus;
import dev.wgpr.client.control.DeniedAttempt;
import dev.wgpr.client.control.TunnelStatus;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.exceptions.DBusExecutionException;
import org.freedesktop.dbus.types.UInt32;
import org.freedesktop.dbus.types.Variant;

/**
 * Desktop notifications ({@code org.freedesktop.Notifications}) of this user's denials, coalesced: the
 * denials of a {@link #WINDOW_MILLIS} window become one notification, which replaces the one before while
 * they keep coming, so a flood is one bubble that counts. A single denial of a program that is an app's
 * {@code exec} carries the action "Launch as APP". Without a notification server nothing is shown.
 */
final class Notifier {
    static final long WINDOW_MILLIS = 2000;
    static final String LAUNCH_ACTION = "launch";

    private final DBusConnection bus;
    private final boolean enabled;
    private final PrintWriter err;
    private final Consumer<Menu.Action.Launch> launch;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("wg-pr-tray-notify").factory());
    private final List<DeniedAttempt> pending = new ArrayList<>();
    private final Map<UInt32, Menu.Action.Launch> actions = new ConcurrentHashMap<>();
    private DaemonStatus status;
    private UInt32 last = new UInt32(0);
    private long lastAt;
    private boolean scheduled;

    Notifier(DBusConnection bus, boolean enabled, PrintWriter err, Consumer<Menu.Action.Launch> launch)
            throws DBusException {
        this.bus = bus;
        this.enabled = enabled;
        this.err = err;
        this.launch = launch;
        if (enabled) {
            bus.addSigHandler(Notifications.ActionInvoked.class, signal -> {
                Menu.Action.Launch chosen = actions.get(signal.id);
                if (chosen != null && LAUNCH_ACTION.equals(signal.actionKey)) {
                    launch.accept(chosen);
                }
            });
        }
    }

    /** A new denial: shown with the others of its window. */
    synchronized void denied(DeniedAttempt denial, DaemonStatus now) {
        if (!enabled) {
            return;
        }
        pending.add(denial);
        status = now;
        if (!scheduled) {
            scheduled = true;
            long wait = Math.max(0, lastAt + WINDOW_MILLIS - System.currentTimeMillis());
            timer.schedule(this::flush, wait, TimeUnit.MILLISECONDS);
        }
    }

    private synchronized void flush() {
        scheduled = false;
        if (pending.isEmpty()) {
            return;
        }
        List<DeniedAttempt> shown = List.copyOf(pending);
        pending.clear();
        boolean replace = System.currentTimeMillis() - lastAt < 4 * WINDOW_MILLIS;
        lastAt = System.currentTimeMillis();
        String summary;
        StringBuilder body = new StringBuilder();
        List<String> actionList = new ArrayList<>();
        Optional<Menu.Action.Launch> as = Optional.empty();
        long count = shown.stream()
                .mapToLong(d -> 1 + (d.suppressed() == null ? 0 : d.suppressed()))
                .sum();
        if (shown.size() == 1) {
            DeniedAttempt denial = shown.getFirst();
            summary = Menu.denial(denial);
            body.append(denial.reason() == null ? "" : denial.reason());
            as = appFor(denial, status);
            as.ifPresent(app -> {
                actionList.add(LAUNCH_ACTION);
                actionList.add("Launch as " + app.app());
            });
        } else {
            summary = count + " attempts denied";
            for (int i = 0; i < Math.min(3, shown.size()); i++) {
                body.append(Menu.denial(shown.get(i))).append('\n');
            }
            if (shown.size() > 3) {
                body.append("and ").append(shown.size() - 3).append(" more (wg-pr events)");
            }
        }
        Optional<Menu.Action.Launch> offered = as;
        Optional<UInt32> id =
                notify(replace ? last : new UInt32(0), summary, body.toString().strip(), actionList);
        id.ifPresent(shownAs -> {
            last = shownAs;
            offered.ifPresent(app -> actions.put(shownAs, app));
        });
    }

    /** The app whose exec is the program the denial names, when exactly one tunnel app has it. */
    static Optional<Menu.Action.Launch> appFor(DeniedAttempt denial, DaemonStatus status) {
        if (status == null || denial.comm() == null || denial.comm().isEmpty()) {
            return Optional.empty();
        }
        List<Menu.Action.Launch> found = new ArrayList<>();
        for (TunnelStatus tunnel : status.tunnels()) {
            for (TunnelStatus.App app : tunnel.apps()) {
                // comm is the first 15 bytes of the program's file name
                if (app.exec() != null
                        && denial.comm()
                                .equals(truncated(
                                        Path.of(app.exec()).getFileName().toString()))) {
                    found.add(new Menu.Action.Launch(app.name(), tunnel.name(), app.exec()));
                }
            }
        }
        return found.size() == 1 ? Optional.of(found.getFirst()) : Optional.empty();
    }

    private static String truncated(String name) {
        return name.length() > 15 ? name.substring(0, 15) : name;
    }

    /** Shows one notification now (Status…, a refusal). */
    void show(String summary, String body) {
        if (notify(new UInt32(0), summary, body, List.of()).isEmpty()) {
            err.println("wg-pr tray: " + summary + "\n" + body);
        }
    }

    private Optional<UInt32> notify(UInt32 replaces, String summary, String body, List<String> actionList) {
        try {
            Notifications notifications =
                    bus.getRemoteObject(Notifications.BUS_NAME, Notifications.OBJECT_PATH, Notifications.class);
            return Optional.of(notifications.Notify(
                    "wg-pr",
                    replaces,
                    "network-vpn-symbolic",
                    summary,
                    body,
                    actionList,
                    Map.of("category", new Variant<>("network"), "desktop-entry", new Variant<>("wg-pr-tray")),
                    -1));
        } catch (DBusException | DBusExecutionException e) {
            return Optional.empty(); // no notification server
        }
    }
}
