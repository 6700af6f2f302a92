package dev.wgpr.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.wgpr.client.control.ControlJson;
import dev.wgpr.client.control.DaemonStatus;
import org.junit.jupiter.api.Test;

class StartUpTrainingTest {
    /**
     * The stand-in daemon's recorded status must stay one this CLI reads whole, of this daemon's shape,
     * with a tunnel in it: else the training would stop short of rendering a tunnel, and the cache would
     * quietly hold less. When the shape changes, record it again from a real daemon (see StartUpTraining).
     */
    @Test
    void theRecordedStatusIsOneThisCliReadsWithATunnelUp() throws Exception {
        DaemonStatus status =
                (DaemonStatus) ControlJson.readReply(StartUpTraining.recordedStatus(), DaemonStatus.class);
        assertEquals(DaemonStatus.SCHEMA, status.schemaVersion(), "recorded from a daemon of this shape");
        assertEquals(1, status.tunnels().size());
        assertFalse(status.tunnels().getFirst().peers().isEmpty());
    }
}
