package dev.wgpr.client.lockdown;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The locked-down daemon re-executes its own JVM: which options of the first command line it keeps. */
class LockdownCommandLineTest {
    @Test
    void aJarLaunchKeepsTheJvmOptionsAndDropsTheJarWhichTheClassPathCarries() {
        List<String> cmdline = List.of(
                "/usr/bin/java",
                "--enable-native-access=ALL-UNNAMED",
                "-XX:+UseSerialGC",
                "-jar",
                "/opt/wg-pr/wg-pr.jar",
                "daemon",
                "--instance",
                "x");
        assertEquals(
                List.of("--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC"),
                Lockdown.jvmOptions(cmdline, List.of()));
    }

    @Test
    void aClassPathLaunchDropsTheClassPathAndStopsAtTheMainClass() {
        List<String> cmdline =
                List.of("java", "-Xmx64m", "-cp", "/a.jar:/b.jar", "dev.wgpr.client.cli.Main", "-Xnot-an-option");
        assertEquals(List.of("-Xmx64m"), Lockdown.jvmOptions(cmdline, List.of()));
    }

    @Test
    void extraOptionsAreNotRepeated() {
        List<String> cmdline = List.of("java", "-XX:-UsePerfData", "-Xmx64m", "Main");
        assertEquals(List.of("-Xmx64m"), Lockdown.jvmOptions(cmdline, List.of("-XX:-UsePerfData")));
    }

    @Test
    void theClisStartUpOptionsAreNotTheDaemons() {
        List<String> cmdline = List.of(
                "/usr/lib/wg-pr/runtime/bin/java",
                "--enable-native-access=ALL-UNNAMED",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-XX:AOTCache=/usr/lib/wg-pr/wg-pr.aot",
                "-Xlog:aot=off",
                "-Xlog:cds=off",
                "-cp",
                "/usr/share/wg-pr/wg-pr.jar",
                "dev.wgpr.client.cli.Main",
                "daemon",
                "--foreground");
        assertEquals(
                List.of("--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC"),
                Lockdown.jvmOptions(cmdline, List.of()));
    }
}
