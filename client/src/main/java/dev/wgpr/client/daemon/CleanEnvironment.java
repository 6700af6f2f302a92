package dev.wgpr.client.daemon;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The environment a launched app gets: the caller's, so that what the app needs reaches it ({@code
 * SSH_AUTH_SOCK}, {@code KRB5CCNAME}, {@code DBUS_SESSION_BUS_ADDRESS}, {@code WAYLAND_DISPLAY}, {@code
 * XAUTHORITY}, {@code XDG_*}, {@code JAVA_HOME}, proxy variables, ...), except the variables of the deny-list
 * ({@link #NEVER}): those that make the dynamic loader, libc, a shell or an interpreter load or run code, or
 * read settings, that the caller chose, inside the app's own process. An app's grants are bound to its
 * executables; {@code LD_PRELOAD} and its kind would run the caller's code as that executable, so they never
 * pass. (What the app starts by itself, an editor or a {@code ProxyCommand}, is another executable and gets
 * none of the grants unless the app allows it.) The list is documented in docs/run-environment.md.
 *
 * <p>Besides: {@code PATH} is the system's ({@link #SAFE_PATH}), never the caller's, so that the app and what
 * it starts by name find the system's commands, not ones from a directory the caller controls (the command
 * itself was already found in the caller's {@code PATH} by {@code wg-pr run}); a name other than letters,
 * digits and {@code _} not starting with a digit, a value with a newline or NUL, and a locale value naming a
 * path (glibc loads a locale from a path given as its name) are dropped.
 */
final class CleanEnvironment {
    private CleanEnvironment() {}

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
            "PERL*", // PERL5OPT, PERL5LIB, PERL5DB, PERLLIB, PERLIO, PERL_*: also of the launcher's own perl step
            "NODE_OPTIONS",
            "NODE_PATH",
            "RUBYOPT",
            "RUBYLIB",
            "GEM_HOME",
            "GEM_PATH",
            "LUA_*", // LUA_INIT runs code, LUA_PATH and LUA_CPATH choose modules
            "TCLLIBPATH",
            "PHPRC",
            "PHP_INI_SCAN_DIR",
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
            "SSLKEYLOGFILE",
            "GTK_MODULES", // shared objects GTK loads into every GUI app
            "GTK3_MODULES",
            "GTK_PATH",
            "GIO_MODULE_DIR",
            "GST_PLUGIN_*", // GStreamer's plugin paths
            "QT_PLUGIN_PATH",
            "QT_QPA_PLATFORM_PLUGIN_PATH",
            "LIBGL_DRIVERS_PATH", // Mesa's drivers
            "VK_ICD_FILENAMES", // Vulkan drivers and layers
            "VK_DRIVER_FILES",
            "VK_LAYER_PATH",
            "VK_ADD_LAYER_PATH",
            "WGPR_*"); // the launcher's own (WGPR_EXEC_PATH names what it executes)

    /** Whether {@code name} is on the deny-list. */
    static boolean denied(String name) {
        for (String entry : NEVER) {
            if (entry.endsWith("*") ? name.startsWith(entry.substring(0, entry.length() - 1)) : name.equals(entry)) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code name=value} of the caller's environment reaches the app. */
    static boolean passes(String name, String value) {
        boolean locale = name.startsWith("LC_") || name.equals("LANG") || name.equals("LANGUAGE");
        return name.matches("[A-Za-z_][A-Za-z0-9_]*")
                && !denied(name)
                && !name.equals("PATH")
                && value.indexOf('\0') < 0
                && value.indexOf('\n') < 0
                && !(locale && value.indexOf('/') >= 0);
    }

    /** The variables to pass, sorted by name: the caller's that {@link #passes pass}, and the system's PATH. */
    static Map<String, String> of(Map<String, String> callers) {
        Map<String, String> kept = new TreeMap<>();
        callers.forEach((name, value) -> {
            if (passes(name, value)) {
                kept.put(name, value);
            }
        });
        kept.put("PATH", SAFE_PATH);
        return kept;
    }
}
