package dev.wgpr.client.tray;

import dev.wgpr.client.control.DaemonStatus;
import dev.wgpr.client.control.DeniedAttempt;
import dev.wgpr.client.control.TunnelStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The tray's menu for one moment: what the daemon said ({@link Snapshot}) as entries, and the icon that goes
 * with it. Pure: the same snapshot always makes the same menu (the tests compare them).
 */
final class Menu {
    /** How many of the latest denials the menu lists. */
    static final int DENIALS_SHOWN = 5;

    /** A denial this recent turns the icon to {@link Icon#DENIED}. */
    static final Duration RECENT_DENIAL = Duration.ofMinutes(2);

    private Menu() {}

    /** What the menu shows: the daemon's status, the configs the user may bring up, the latest denials. */
    record Snapshot(
            DaemonStatus status,
            List<Path> configs,
            List<DeniedAttempt> denials,
            Optional<String> problem,
            Instant now) {
        Snapshot {
            configs = List.copyOf(configs);
            denials = List.copyOf(denials);
        }
    }

    /** What an entry does when clicked. */
    sealed interface Action {
        record Up(Path config) implements Action {}

        record Down(String tunnel) implements Action {}

        record Launch(String app, String tunnel, String exec) implements Action {}

        record ShowStatus() implements Action {}

        record Quit() implements Action {}
    }

    /**
     * One entry. {@code key} names it across snapshots (the menu's item ids follow it, so that a click on a
     * menu shown before a change still means the same entry); a separator has no label.
     */
    record Entry(String key, String label, boolean enabled, boolean separator, Optional<Action> action) {
        static Entry text(String key, String label) {
            return new Entry(key, label, false, false, Optional.empty());
        }

        static Entry action(String key, String label, Action action) {
            return new Entry(key, label, true, false, Optional.of(action));
        }

        static Entry separator(String key) {
            return new Entry(key, "", true, true, Optional.empty());
        }
    }

    /**
     * The three looks of the item: wg-pr's own icons where they are installed (packaging/icons), else the
     * icon theme's VPN icons, and a pixmap of the colour for hosts that find neither.
     */
    enum Icon {
        CONNECTED("wg-pr-connected", "network-vpn-symbolic", 0xff2e9e44),
        DISCONNECTED("wg-pr-disconnected", "network-vpn-disconnected-symbolic", 0xff7a7a7a),
        DENIED("wg-pr-denied", "network-vpn-no-route-symbolic", 0xffd93025);

        final String ownName;
        final String themeName;
        final int argb;

        Icon(String ownName, String themeName, int argb) {
            this.ownName = ownName;
            this.themeName = themeName;
            this.argb = argb;
        }
    }

    /** The entries, top to bottom. */
    static List<Entry> entries(Snapshot snapshot, TrayDaemon words) {
        List<Entry> entries = new ArrayList<>();
        snapshot.problem().ifPresent(problem -> {
            entries.add(Entry.text("problem", problem));
            entries.add(Entry.separator("problem-end"));
        });
        Map<String, TunnelStatus> up = new LinkedHashMap<>();
        for (TunnelStatus tunnel : snapshot.status().tunnels()) {
            up.put(tunnel.name(), tunnel);
        }
        List<Path> down = new ArrayList<>();
        for (Path config : snapshot.configs()) {
            if (up.values().stream().noneMatch(tunnel -> config.toString().equals(tunnel.config()))
                    && !up.containsKey(stem(config))) {
                down.add(config);
            }
        }
        if (snapshot.status().tunnels().isEmpty() && snapshot.configs().isEmpty()) {
            entries.add(Entry.text("no-tunnel", "No tunnel is up, and no config is in /etc/wg-pr"));
        }
        for (TunnelStatus tunnel : up.values()) {
            String name = tunnel.name();
            entries.add(Entry.text("tunnel:" + name, name + ": " + state(tunnel)));
            for (TunnelStatus.Peer peer : tunnel.peers()) {
                String transfer = words.transfer(peer);
                entries.add(Entry.text(
                        "peer:" + name + ":" + peer.name(),
                        "    " + peer.name() + ": handshake " + words.handshake(peer)
                                + (transfer.isEmpty() ? "" : "; " + transfer)));
            }
            entries.add(Entry.action("down:" + name, "Down " + name, new Action.Down(name)));
            for (TunnelStatus.App app : tunnel.apps()) {
                if (app.exec() == null) {
                    entries.add(Entry.text(
                            "app:" + name + ":" + app.name(),
                            "    " + app.name() + " (any program: wg-pr run --app " + app.name() + " -- CMD)"));
                } else {
                    entries.add(Entry.action(
                            "launch:" + name + ":" + app.name(),
                            "Launch " + app.name(),
                            new Action.Launch(app.name(), name, app.exec())));
                }
            }
            entries.add(Entry.separator("tunnel-end:" + name));
        }
        for (Path config : down) {
            String name = stem(config);
            entries.add(Entry.text("tunnel:" + name, name + ": down"));
            entries.add(Entry.action("up:" + config, "Up " + name, new Action.Up(config)));
            entries.add(Entry.separator("tunnel-end:" + name));
        }
        if (!snapshot.denials().isEmpty()) {
            entries.add(Entry.text("denials", "Recently denied:"));
            List<DeniedAttempt> denials = snapshot.denials();
            for (DeniedAttempt denial : denials.subList(Math.max(0, denials.size() - DENIALS_SHOWN), denials.size())
                    .reversed()) {
                entries.add(Entry.text("denial:" + denial.seq(), "    " + denial(denial)));
            }
            entries.add(Entry.separator("denials-end"));
        }
        entries.add(Entry.action("status", "Status…", new Action.ShowStatus()));
        entries.add(Entry.action("quit", "Quit", new Action.Quit()));
        return entries;
    }

    /** The icon: a recent denial, else connected when a tunnel is up, else disconnected. */
    static Icon icon(Snapshot snapshot) {
        for (DeniedAttempt denial : snapshot.denials()) {
            if (at(denial)
                    .map(time -> time.isAfter(snapshot.now().minus(RECENT_DENIAL)))
                    .orElse(false)) {
                return Icon.DENIED;
            }
        }
        return snapshot.status().tunnels().isEmpty() ? Icon.DISCONNECTED : Icon.CONNECTED;
    }

    /** The tooltip's text: the tunnels and their state. */
    static String tooltip(Snapshot snapshot) {
        if (snapshot.status().tunnels().isEmpty()) {
            return "No tunnel is up";
        }
        List<String> lines = new ArrayList<>();
        for (TunnelStatus tunnel : snapshot.status().tunnels()) {
            lines.add(tunnel.name() + ": " + state(tunnel));
        }
        return String.join("\n", lines);
    }

    /** A tunnel that is up: with or without a handshake. */
    static String state(TunnelStatus tunnel) {
        if (!tunnel.network()) {
            return "up (apps only, no network)";
        }
        boolean shaken = tunnel.peers().stream().anyMatch(peer -> peer.latestHandshake() != null);
        return shaken ? "up" : "up, no handshake yet";
    }

    /** A denial in one line: {@code curl was denied 10.20.1.5:443 (corp-gw): not an app}. */
    static String denial(DeniedAttempt denial) {
        String reason = denial.reason() == null ? String.valueOf(denial.reasonCode()) : denial.reason();
        int colon = reason.indexOf(':');
        String shortReason = colon > 0 ? reason.substring(0, colon) : reason;
        String who = denial.comm() == null || denial.comm().isEmpty() ? "pid " + denial.pid() : denial.comm();
        if (DeniedAttempt.TAKEOVER.equals(denial.direction())) {
            return who + " was denied taking over " + denial.targetComm() + " (pid " + denial.targetPid() + ")";
        }
        if (denial.leftCgroup()) {
            return who + " left app " + denial.app() + "'s cgroup: denied from now on";
        }
        String destination = denial.destination() == null
                ? "?"
                : (denial.destination().contains(":") ? "[" + denial.destination() + "]" : denial.destination());
        return who + " was denied " + destination + (denial.port() == null ? "" : ":" + denial.port())
                + (denial.peer() == null ? "" : " (" + denial.peer() + ")") + ": " + shortReason
                + (denial.suppressed() != null ? " (and " + denial.suppressed() + " more)" : "");
    }

    private static Optional<Instant> at(DeniedAttempt denial) {
        try {
            return Optional.of(Instant.parse(denial.time()));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /** A config's tunnel name: its file name without {@code .toml}. */
    static String stem(Path config) {
        String name = config.getFileName().toString();
        return name.endsWith(".toml") ? name.substring(0, name.length() - ".toml".length()) : name;
    }
}
