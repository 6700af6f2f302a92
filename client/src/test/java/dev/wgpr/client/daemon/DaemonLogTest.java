package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class DaemonLogTest {
    private static final Instant NOW = Instant.parse("2026-12-06T02:00:00.123Z");

    @Test
    void everyLineStartsWithItsTimeStackTracesIncluded() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream log = DaemonLog.stamped(out, () -> NOW);

        log.println("wg-pr daemon: up corp0");
        log.print("first half, ");
        log.print("second half\ntwo lines\nin one write\n");
        log.write('x');
        log.println();

        assertEquals("""
                2026-12-06T02:00:00.123Z wg-pr daemon: up corp0
                2026-12-06T02:00:00.123Z first half, second half
                2026-12-06T02:00:00.123Z two lines
                2026-12-06T02:00:00.123Z in one write
                2026-12-06T02:00:00.123Z x
                """, out.toString(StandardCharsets.UTF_8));
    }
}
