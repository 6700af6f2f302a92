package dev.wgpr.client.daemon;

import java.util.List;
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
 * newline or NUL are dropped, and locale values naming a path (glibc loads a locale from a path given
 * as its name).
 *
 * <p>Behind the allow-list, a deny-list ({@link #NEVER}) of the variables known to make a loader, a
 * shell, an interpreter or a tool run code or read settings that the caller chose: none of them is
 * passed even if the allow-list comes to match it.
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

    /** Never passed; a trailing {@code *} matches every name with that prefix. */
    static final List<String> NEVER = List.of(
            "LD_*", // the dynamic loader: LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT, ...
            "GCONV_PATH",
            "GETCONF_DIR",
            "GLIBC_TUNABLES",
            "HOSTALIASES",
            "LOCALDOMAIN",
            "LOCPATH",
            "MALLOC_*",
            "NLSPATH",
            "RES_OPTIONS",
            "TMPDIR",
            "BASH_ENV",
            "BASH_FUNC_*",
            "ENV",
            "SHELLOPTS",
            "BASHOPTS",
            "PS4",
            "PROMPT_COMMAND",
            "IFS",
            "CDPATH",
            "PYTHON*", // PYTHONSTARTUP, PYTHONPATH, PYTHONHOME, PYTHONINSPECT, ...
            "PERL5*", // PERL5OPT, PERL5LIB, PERL5DB
            "PERLLIB",
            "PERL_*",
            "NODE_OPTIONS",
            "NODE_PATH",
            "RUBYOPT",
            "RUBYLIB",
            "JAVA_TOOL_OPTIONS",
            "_JAVA_OPTIONS",
            "JDK_JAVA_OPTIONS",
            "CLASSPATH",
            "GIT_*", // GIT_SSH_COMMAND, GIT_SSH, GIT_CONFIG_*, GIT_EXEC_PATH, GIT_ASKPASS, ...
            "SSH_ASKPASS*",
            "KRB5_CONFIG",
            "OPENSSL_CONF",
            "OPENSSL_ENGINES",
            "CURL_HOME",
            "WGETRC",
            "SSLKEYLOGFILE");

    /** Whether {@code name} is on the deny-list. */
    static boolean denied(String name) {
        for (String entry : NEVER) {
            if (entry.endsWith("*") ? name.startsWith(entry.substring(0, entry.length() - 1)) : name.equals(entry)) {
                return true;
            }
        }
        return false;
    }

    /** The variables to pass, sorted by name. */
    static Map<String, String> of(Map<String, String> callers) {
        Map<String, String> kept = new TreeMap<>();
        callers.forEach((name, value) -> {
            boolean locale = name.startsWith("LC_") || name.equals("LANG") || name.equals("LANGUAGE");
            if ((KEPT.contains(name) || (name.startsWith("LC_") && name.matches("LC_[A-Z_]+")))
                    && !denied(name)
                    && value.indexOf('\0') < 0
                    && value.indexOf('\n') < 0
                    && !(locale && value.indexOf('/') >= 0)) {
                kept.put(name, value);
            }
        });
        kept.put("PATH", SAFE_PATH);
        return kept;
    }
}
