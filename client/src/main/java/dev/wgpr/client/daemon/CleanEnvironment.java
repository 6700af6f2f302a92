package dev.wgpr.client.daemon;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The environment a launched app gets: an allow-list of the caller's variables, never a deny-list,
 * so that {@code LD_PRELOAD}, {@code LD_LIBRARY_PATH}, {@code LD_AUDIT}, {@code GCONV_PATH}, {@code
 * PYTHONPATH}, {@code BASH_ENV} and whatever else a future loader or interpreter reads cannot slip a
 * caller's code into an authorized app.
 *
 * <p>Kept: terminal and locale ({@code TERM}, {@code COLORTERM}, {@code LANG}, {@code LANGUAGE},
 * {@code LC_*}, {@code TZ}), who and where ({@code HOME}, {@code USER}, {@code LOGNAME}, {@code
 * SHELL}), the desktop session for GUI apps ({@code DISPLAY}, {@code WAYLAND_DISPLAY}, {@code
 * XDG_RUNTIME_DIR}, {@code XDG_SESSION_TYPE}, {@code DBUS_SESSION_BUS_ADDRESS}, {@code XAUTHORITY})
 * and a {@code PATH} of the system's directories only, never the caller's: the app and whatever it
 * starts by name find the system's commands, not ones from a directory the caller controls (the
 * command itself was already found in the caller's {@code PATH} by {@code wg-pr run}). Values with a
 * newline or NUL are dropped.
 */
final class CleanEnvironment {
    private CleanEnvironment() {}

    static final Set<String> KEPT = Set.of(
            "TERM",
            "COLORTERM",
            "LANG",
            "LANGUAGE",
            "TZ",
            "HOME",
            "USER",
            "LOGNAME",
            "SHELL",
            "DISPLAY",
            "WAYLAND_DISPLAY",
            "XDG_RUNTIME_DIR",
            "XDG_SESSION_TYPE",
            "DBUS_SESSION_BUS_ADDRESS",
            "XAUTHORITY");

    static final String SAFE_PATH = "/usr/local/bin:/usr/bin:/bin";

    /** The variables to pass, sorted by name. */
    static Map<String, String> of(Map<String, String> callers) {
        Map<String, String> kept = new TreeMap<>();
        callers.forEach((name, value) -> {
            if ((KEPT.contains(name) || (name.startsWith("LC_") && name.matches("LC_[A-Z_]+")))
                    && value.indexOf('\0') < 0
                    && value.indexOf('\n') < 0) {
                kept.put(name, value);
            }
        });
        kept.put("PATH", SAFE_PATH);
        return kept;
    }
}
