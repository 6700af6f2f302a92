package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

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
}
