package dev.wgpr.client.tray;

import dev.wgpr.client.control.DaemonStatus;
import dev.wgpr.client.control.TunnelStatus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A desktop entry per app of each tunnel that is up ("Firefox (corp0)"), in the user's applications
 * directory, so that authorized apps start from the application menu, without a terminal: {@code wg-pr run
 * --detach} (through the daemon, as the user, in the app's cgroup). Name and icon come from the app's own
 * desktop entry when one names its program. Entries of apps no longer up go, once the daemon says so.
 */
final class DesktopEntries {
    static final String PREFIX = "wg-pr-app-";

    private final Path applications;
    private final String self;
    private final List<Path> systemEntries;
    private final Map<String, Optional<Map<String, String>>> owners = new HashMap<>();

    /**
     * @param applications where the entries go ({@code $XDG_DATA_HOME/applications})
     * @param self how the desktop runs wg-pr ({@code /usr/bin/wg-pr}, or a checkout's {@code ./wg-pr})
     * @param systemEntries where the apps' own entries are ({@code /usr/share/applications})
     */
    DesktopEntries(Path applications, String self, List<Path> systemEntries) {
        this.applications = applications;
        this.self = self;
        this.systemEntries = List.copyOf(systemEntries);
    }

    /** Writes the entries of the apps of the tunnels up, and removes its others. */
    void update(DaemonStatus status) {
        Map<String, String> wanted = new HashMap<>();
        for (TunnelStatus tunnel : status.tunnels()) {
            for (TunnelStatus.App app : tunnel.apps()) {
                if (app.exec() != null) {
                    wanted.put(fileName(tunnel.name(), app.name()), entry(status.instance(), tunnel.name(), app));
                }
            }
        }
        try {
            Files.createDirectories(applications);
            for (Map.Entry<String, String> entry : wanted.entrySet()) {
                Path file = applications.resolve(entry.getKey());
                if (!Files.exists(file) || !Files.readString(file).equals(entry.getValue())) {
                    Path temporary = applications.resolve("." + entry.getKey() + ".tmp");
                    Files.writeString(temporary, entry.getValue(), StandardCharsets.UTF_8);
                    Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                }
            }
            try (Stream<Path> files = Files.list(applications)) {
                for (Path file : files.toList()) {
                    String name = file.getFileName().toString();
                    if (name.startsWith(PREFIX) && name.endsWith(".desktop") && !wanted.containsKey(name)) {
                        Files.deleteIfExists(file);
                    }
                }
            }
        } catch (IOException e) {
            // a home that cannot be written: no menu entries, the tray works on
        }
    }

    static String fileName(String tunnel, String app) {
        return PREFIX + tunnel + "-" + app + ".desktop";
    }

    /** The entry's text. */
    String entry(String instance, String tunnel, TunnelStatus.App app) {
        Optional<Map<String, String>> own = owners.computeIfAbsent(app.exec(), this::ownEntry);
        String name = own.map(fields -> fields.get("Name")).orElse(app.name());
        String icon = own.map(fields -> fields.get("Icon")).orElse("network-vpn-symbolic");
        boolean terminal =
                own.map(fields -> "true".equals(fields.get("Terminal"))).orElse(false);
        List<String> exec = new ArrayList<>(List.of(self, "--instance", instance, "run"));
        if (!terminal) {
            exec.add("--detach");
        }
        exec.addAll(List.of("--app", app.name(), "--tunnel", tunnel, "--", app.exec()));
        return "[Desktop Entry]\n"
                + "Type=Application\n"
                + "Name=" + oneLine(name) + " (" + oneLine(tunnel) + ")\n"
                + "Comment=" + oneLine(name) + " with the internal routes of tunnel " + oneLine(tunnel)
                + " (wg-pr app " + oneLine(app.name()) + ")\n"
                + "Exec="
                + String.join(" ", exec.stream().map(DesktopEntries::quoted).toList()) + "\n"
                + "Icon=" + oneLine(icon) + "\n"
                + "Terminal=" + terminal + "\n"
                + "Categories=Network;\n"
                + "X-WgPr-Tunnel=" + oneLine(tunnel) + "\n"
                + "X-WgPr-App=" + oneLine(app.name()) + "\n";
    }

    /** The fields of the first desktop entry whose Exec runs {@code exec} (by path, or by name in PATH). */
    private Optional<Map<String, String>> ownEntry(String exec) {
        String base = Path.of(exec).getFileName().toString();
        for (Path directory : systemEntries) {
            try (Stream<Path> files = Files.list(directory)) {
                for (Path file : files.filter(f -> f.toString().endsWith(".desktop"))
                        .sorted()
                        .toList()) {
                    Map<String, String> fields = fields(file);
                    String command = fields.getOrDefault("Exec", "").split(" ")[0];
                    if (command.equals(exec) || command.equals(base)) {
                        return Optional.of(fields);
                    }
                }
            } catch (IOException e) {
                // no such directory
            }
        }
        return Optional.empty();
    }

    /** The keys of a desktop file's [Desktop Entry] group (not localised). */
    static Map<String, String> fields(Path file) {
        Map<String, String> fields = new HashMap<>();
        try {
            boolean inEntry = false;
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (line.startsWith("[")) {
                    inEntry = line.equals("[Desktop Entry]");
                } else if (inEntry && line.contains("=") && !line.startsWith("#")) {
                    String key = line.substring(0, line.indexOf('=')).strip();
                    fields.putIfAbsent(
                            key, line.substring(line.indexOf('=') + 1).strip());
                }
            }
        } catch (IOException | RuntimeException e) {
            // unreadable, or not UTF-8: no fields
        }
        return fields;
    }

    private static String oneLine(String value) {
        return value.replace('\n', ' ').replace('\r', ' ');
    }

    /** An Exec argument, quoted as the Desktop Entry spec asks when it has reserved characters. */
    static String quoted(String argument) {
        if (argument.chars().noneMatch(c -> " \t\"'\\><~|&;$*?#()`=%".indexOf(c) >= 0) && !argument.isEmpty()) {
            return argument;
        }
        StringBuilder quoted = new StringBuilder("\"");
        for (char c : argument.toCharArray()) {
            if (c == '"' || c == '`' || c == '$' || c == '\\') {
                quoted.append('\\');
            }
            quoted.append(c == '%' ? "%%" : String.valueOf(c));
        }
        return quoted.append('"').toString();
    }
}
