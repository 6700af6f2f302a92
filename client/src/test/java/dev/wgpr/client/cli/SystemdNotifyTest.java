package dev.wgpr.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.wgpr.client.TestPaths;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class SystemdNotifyTest {
    /**
     * The stop extension the daemon asks for is the shipped unit's {@code TimeoutStopSec=} scaled by the
     * machine's pace: systemd passes no unit setting to its service, so the two are kept equal here.
     */
    @Test
    void theStopTimeTheDaemonScalesIsTheShippedUnitsTimeoutStopSec() throws Exception {
        String unit = Files.readString(TestPaths.repositoryRoot().resolve("packaging/systemd/wg-pr.service"));
        String timeout = unit.lines()
                .filter(line -> line.startsWith("TimeoutStopSec="))
                .map(line -> line.substring("TimeoutStopSec=".length()).strip())
                .findFirst()
                .orElseThrow(() -> new AssertionError("wg-pr.service has no TimeoutStopSec="));
        assertEquals(SystemdNotify.STOP_TIMEOUT, Duration.ofSeconds(Long.parseLong(timeout)));
    }
}
