package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An app gets the caller's environment but the deny-list ({@link CleanEnvironment#NEVER}), through the filter
 * the launcher applies ({@link CleanEnvironment#of}).
 */
class CleanEnvironmentTest {
    private static final String AGENT = "/run/user/1000/ssh-XXXX/agent.42";

    /**
     * Each entry of the deny-list, with a variable it stands for: one case per entry (an entry added to the list
     * without a case here fails {@link #everyEntryOfTheDenyListHasItsCase}).
     */
    private static final String ENTRIES = """
            LD_*, LD_PRELOAD
            GCONV_PATH, GCONV_PATH
            GETCONF_DIR, GETCONF_DIR
            GLIBC_TUNABLES, GLIBC_TUNABLES
            HOSTALIASES, HOSTALIASES
            LOCALDOMAIN, LOCALDOMAIN
            LOCPATH, LOCPATH
            MALLOC_*, MALLOC_CHECK_
            NLSPATH, NLSPATH
            RES_OPTIONS, RES_OPTIONS
            TMPDIR, TMPDIR
            BASH_ENV, BASH_ENV
            BASH_FUNC_*, BASH_FUNC_ls
            ENV, ENV
            SHELLOPTS, SHELLOPTS
            BASHOPTS, BASHOPTS
            PS4, PS4
            PROMPT_COMMAND, PROMPT_COMMAND
            IFS, IFS
            CDPATH, CDPATH
            PYTHON*, PYTHONSTARTUP
            PERL*, PERL5OPT
            NODE_OPTIONS, NODE_OPTIONS
            NODE_PATH, NODE_PATH
            RUBYOPT, RUBYOPT
            RUBYLIB, RUBYLIB
            GEM_HOME, GEM_HOME
            GEM_PATH, GEM_PATH
            LUA_*, LUA_INIT
            TCLLIBPATH, TCLLIBPATH
            PHPRC, PHPRC
            PHP_INI_SCAN_DIR, PHP_INI_SCAN_DIR
            JAVA_TOOL_OPTIONS, JAVA_TOOL_OPTIONS
            _JAVA_OPTIONS, _JAVA_OPTIONS
            JDK_JAVA_OPTIONS, JDK_JAVA_OPTIONS
            CLASSPATH, CLASSPATH
            GIT_*, GIT_SSH_COMMAND
            SSH_ASKPASS*, SSH_ASKPASS
            KRB5_CONFIG, KRB5_CONFIG
            OPENSSL_CONF, OPENSSL_CONF
            OPENSSL_ENGINES, OPENSSL_ENGINES
            CURL_HOME, CURL_HOME
            WGETRC, WGETRC
            SSLKEYLOGFILE, SSLKEYLOGFILE
            GTK_MODULES, GTK_MODULES
            GTK3_MODULES, GTK3_MODULES
            GTK_PATH, GTK_PATH
            GIO_MODULE_DIR, GIO_MODULE_DIR
            GST_PLUGIN_*, GST_PLUGIN_PATH
            QT_PLUGIN_PATH, QT_PLUGIN_PATH
            QT_QPA_PLATFORM_PLUGIN_PATH, QT_QPA_PLATFORM_PLUGIN_PATH
            LIBGL_DRIVERS_PATH, LIBGL_DRIVERS_PATH
            VK_ICD_FILENAMES, VK_ICD_FILENAMES
            VK_DRIVER_FILES, VK_DRIVER_FILES
            VK_LAYER_PATH, VK_LAYER_PATH
            VK_ADD_LAYER_PATH, VK_ADD_LAYER_PATH
            WGPR_*, WGPR_EXEC_PATH
            """;

    @ParameterizedTest(name = "{1} ({0}) does not reach the app")
    @CsvSource(textBlock = ENTRIES)
    void aDeniedVariableDoesNotReachTheAppWhileAnOrdinaryOneDoes(String entry, String name) {
        Map<String, String> app = CleanEnvironment.of(Map.of(name, "/tmp/evil", "SSH_AUTH_SOCK", AGENT));

        assertTrue(CleanEnvironment.NEVER.contains(entry), entry + " is not on the deny-list");
        assertFalse(app.containsKey(name), name + " reached the app: " + app);
        assertEquals(AGENT, app.get("SSH_AUTH_SOCK"), "the ordinary variable beside it: " + app);
    }

    @Test
    void everyEntryOfTheDenyListHasItsCase() {
        List<String> tested =
                ENTRIES.lines().map(line -> line.split(",")[0].strip()).toList();

        assertEquals(CleanEnvironment.NEVER, tested);
    }

    @Test
    void everyEntryOfTheDenyListIsDocumented() throws IOException {
        String doc = Files.readString(Path.of("../docs/run-environment.md"), StandardCharsets.UTF_8);

        for (String entry : CleanEnvironment.NEVER) {
            assertTrue(doc.contains("| `" + entry + "` |"), "docs/run-environment.md does not list " + entry);
        }
    }

    /** What an app needs from the session it was started in: the list, and a variable of the caller's own. */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "SSH_AUTH_SOCK",
                "KRB5CCNAME",
                "DBUS_SESSION_BUS_ADDRESS",
                "DISPLAY",
                "WAYLAND_DISPLAY",
                "XAUTHORITY",
                "XDG_RUNTIME_DIR",
                "XDG_CONFIG_HOME",
                "JAVA_HOME",
                "http_proxy",
                "HTTPS_PROXY",
                "no_proxy",
                "TERM",
                "HOME",
                "MY_PROJECT_SETTING"
            })
    void anOrdinaryVariableReachesTheAppUnchanged(String name) {
        assertEquals(
                "some value=with/slashes",
                CleanEnvironment.of(Map.of(name, "some value=with/slashes")).get(name));
    }

    @Test
    void theAppGetsTheSystemsPathNotTheCallers() {
        Map<String, String> app = CleanEnvironment.of(Map.of("PATH", ":/usr/bin::./bin:/home/u/bin"));

        assertEquals(Map.of("PATH", "/usr/local/bin:/usr/bin:/bin"), app);
    }

    @Test
    void oddNamesValuesWithANewlineAndALocaleThatNamesAPathAreDropped() {
        Map<String, String> app = CleanEnvironment.of(Map.of(
                "LC_EVIL\n", "x",
                "1ST", "x",
                "A-B", "x",
                "HOME", "/home/a\nLD_PRELOAD=/tmp/evil.so",
                "LANG", "/tmp/evil-locale",
                "LC_ALL", "C.UTF-8"));

        assertEquals(Map.of("LC_ALL", "C.UTF-8", "PATH", CleanEnvironment.SAFE_PATH), app);
    }

    @Test
    void aPrefixEntryCoversNamesNoOneHasThoughtOfYet() {
        assertTrue(CleanEnvironment.denied("LD_ANYTHING_NEW"));
        assertTrue(CleanEnvironment.denied("PYTHONSAFEPATH"));
        assertFalse(CleanEnvironment.denied("SSH_AUTH_SOCK"));
        assertFalse(CleanEnvironment.denied("LDAP_URI"), "LD_* is a prefix with its underscore");
    }
}
