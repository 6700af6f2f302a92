package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CleanEnvironmentTest {
    @Test
    void keepsOnlyTheAllowListAndTheSafePathInsteadOfTheCallers() {
        Map<String, String> kept = CleanEnvironment.of(Map.of(
                "LD_PRELOAD", "/tmp/evil.so",
                "LD_AUDIT", "/tmp/evil.so",
                "GCONV_PATH", "/tmp",
                "PYTHONPATH", "/tmp",
                "LC_ALL", "C.UTF-8",
                "LC_EVIL\n", "x",
                "TERM", "xterm",
                "DISPLAY", ":0",
                "HOME", "/home/a\nLD_PRELOAD=/tmp/evil.so",
                "PATH", ":/usr/bin::./bin:/bin:/usr/bin"));

        assertEquals(
                Map.of("LC_ALL", "C.UTF-8", "TERM", "xterm", "DISPLAY", ":0", "PATH", "/usr/local/bin:/usr/bin:/bin"),
                kept);
    }

    /** The variables of the threat model, one by one: each is on the deny-list and is never passed. */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "LD_PRELOAD",
                "LD_LIBRARY_PATH",
                "LD_AUDIT",
                "GCONV_PATH",
                "GLIBC_TUNABLES",
                "BASH_ENV",
                "BASH_FUNC_ls%%",
                "ENV",
                "PYTHONSTARTUP",
                "PYTHONPATH",
                "PYTHONHOME",
                "PERL5OPT",
                "PERL5LIB",
                "NODE_OPTIONS",
                "RUBYOPT",
                "JAVA_TOOL_OPTIONS",
                "_JAVA_OPTIONS",
                "JDK_JAVA_OPTIONS",
                "GIT_SSH_COMMAND",
                "GIT_SSH",
                "GIT_CONFIG_COUNT",
                "GIT_CONFIG_KEY_0",
                "GIT_CONFIG_VALUE_0",
                "GIT_CONFIG_GLOBAL",
                "GIT_EXEC_PATH",
                "SSH_ASKPASS",
                "OPENSSL_CONF",
                "LOCPATH"
            })
    void aVariableThatCanRunTheCallersCodeInTheAppIsNeverPassed(String name) {
        assertTrue(CleanEnvironment.denied(name), name + " is not on the deny-list");
        assertFalse(
                CleanEnvironment.of(Map.of(name, "/tmp/evil", "TERM", "xterm")).containsKey(name));
    }

    @Test
    void aLocaleThatNamesAPathIsDropped() {
        Map<String, String> kept = CleanEnvironment.of(Map.of("LANG", "/tmp/evil-locale", "LC_ALL", "C.UTF-8"));
        assertEquals(Map.of("LC_ALL", "C.UTF-8", "PATH", CleanEnvironment.SAFE_PATH), kept);
    }

    @Test
    void theAllowListNamesNoDeniedVariableAndNewLoaderVariablesAreDenied() {
        assertTrue(CleanEnvironment.KEPT.stream().noneMatch(CleanEnvironment::denied), "a kept name is denied");
        assertFalse(CleanEnvironment.denied("TERM"));
        assertTrue(CleanEnvironment.denied("LD_ANYTHING_NEW"));
    }
}
