package dev.wgpr.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code down} refuses, before asking any daemon, what names no interface: a bad name, or a config that
 * cannot be read or is invalid (wg-pr@NAME.service stops with {@code down /etc/wg-pr/NAME.toml}). Taking
 * a tunnel down by name or by config is proven end to end by DaemonLifecycleTest.
 */
class DownCommandTest {
    @Test
    void aNameThatIsNoInterfaceNameIsBadInput() {
        CliRun down = CliRun.of("--instance", "wg-pr-down-test", "down", "no such name");
        assertEquals(WgPrCommand.EXIT_BAD_INPUT, down.exitCode(), down::toString);
        assertTrue(down.err().contains("'no such name' is not an interface name"), down::toString);
    }

    @Test
    void aConfigThatIsMissingOrInvalidIsBadInputNamingTheFile(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("missing.toml");
        CliRun down = CliRun.of("--instance", "wg-pr-down-test", "down", missing.toString());
        assertEquals(WgPrCommand.EXIT_BAD_INPUT, down.exitCode(), down::toString);
        assertTrue(down.err().contains(missing + ": no such file"), down::toString);

        Path invalid = Files.writeString(dir.resolve("corp.toml"), "[interface]\nname = 7\n");
        down = CliRun.of("--instance", "wg-pr-down-test", "down", invalid.toString());
        assertEquals(WgPrCommand.EXIT_BAD_INPUT, down.exitCode(), down::toString);
        assertTrue(down.err().contains("nothing was changed"), down::toString);
    }
}
