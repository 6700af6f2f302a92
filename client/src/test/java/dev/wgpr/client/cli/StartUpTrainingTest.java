package dev.wgpr.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.wgpr.client.control.ControlJson;
import dev.wgpr.client.control.DaemonStatus;
import org.junit.jupiter.api.Test;

class StartUpTrainingTest {
    /**
     * The stand-in daemon's recorded status must stay one this CLI reads whole, with a tunnel in it: else
     * the training would stop short of rendering a tunnel, and the cache would quietly hold less.
     */
    @Test
    void theRecordedStatusIsOneThisCliReadsWithATunnelUp() throws Exception {
        DaemonStatus status =
                (DaemonStatus) ControlJson.readReply(StartUpTraining.recordedStatus(), DaemonStatus.class);
        assertEquals(1, status.tunnels().size());
        assertFalse(status.tunnels().getFirst().peers().isEmpty());
    }
}
