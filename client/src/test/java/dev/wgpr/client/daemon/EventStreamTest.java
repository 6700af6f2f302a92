package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.wgpr.client.control.DeniedAttempt;
import dev.wgpr.client.control.PeerCredentials;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/** Who sees which deny events: root all of them, any other caller those of its own processes. */
class EventStreamTest {
    private static DeniedAttempt event(long seq, int pid, long uid, String direction) {
        return new DeniedAttempt(
                seq,
                "2026-01-01T00:00:00Z",
                pid,
                pid == 0 ? "" : "curl",
                uid,
                null,
                "gw",
                direction,
                DeniedAttempt.INBOUND.equals(direction) ? null : "10.20.1.5",
                DeniedAttempt.INBOUND.equals(direction) ? null : 443,
                "tcp",
                DeniedAttempt.INBOUND.equals(direction) ? "10.20.1.5" : null,
                DeniedAttempt.INBOUND.equals(direction) ? 22 : null,
                null,
                null,
                "connect4",
                "not an app",
                "not-an-app",
                1,
                null,
                null);
    }

    private static final List<DeniedAttempt> EVENTS = List.of(
            event(1, 100, 1000, DeniedAttempt.OUTBOUND),
            event(2, 200, 1001, DeniedAttempt.OUTBOUND),
            event(3, 0, 1000, DeniedAttempt.OUTBOUND), // the device's backstop: no process
            event(4, 0, 1000, DeniedAttempt.INBOUND),
            event(5, 300, 0, DeniedAttempt.OUTBOUND));

    private static List<Long> seen(PeerCredentials caller) {
        Predicate<DeniedAttempt> visible = EventStream.visibleTo(caller);
        return EVENTS.stream().filter(visible).map(DeniedAttempt::seq).toList();
    }

    @Test
    void rootSeesEveryEvent() {
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L), seen(new PeerCredentials(1, 0, 0, new int[0])));
    }

    @Test
    void aUserSeesOnlyTheEventsOfItsOwnProcesses() {
        assertEquals(List.of(1L), seen(new PeerCredentials(1, 1000, 1000, new int[0])));
        assertEquals(List.of(2L), seen(new PeerCredentials(1, 1001, 1001, new int[0])));
        assertEquals(List.of(), seen(new PeerCredentials(1, 65534, 65534, new int[0])));
    }
}
