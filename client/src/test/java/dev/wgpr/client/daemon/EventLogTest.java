package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.control.DeniedAttempt;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class EventLogTest {
    private final AtomicLong clock = new AtomicLong(1_000);
    private final EventLog log = new EventLog(clock::get);

    private static DeniedAttempt deny(long uid, String app, String destination, int port) {
        return new DeniedAttempt(
                0,
                null,
                4242,
                null,
                uid,
                app,
                null,
                DeniedAttempt.OUTBOUND,
                destination,
                port,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                0,
                null,
                null);
    }

    /** An attempt from {@code source} through the tunnel to a local port. */
    private static DeniedAttempt inbound(long uid, String source) {
        return new DeniedAttempt(
                0,
                null,
                0,
                null,
                uid,
                null,
                null,
                DeniedAttempt.INBOUND,
                null,
                null,
                null,
                source,
                0,
                null,
                null,
                null,
                null,
                null,
                0,
                null,
                null);
    }

    private List<DeniedAttempt> logged() {
        return log.after(0);
    }

    @Test
    void aFloodOfOneSourceFillingTheLogSeveralTimesOverDoesNotHideALaterProbeOfAnother() {
        for (int i = 0; i < EventLog.CAPACITY * 3; i++) {
            log.add(deny(1000, null, "10.20.0.10", 22));
        }
        log.add(deny(1001, null, "10.20.0.99", 445));
        log.add(deny(1001, null, "10.20.0.99", 139));

        List<DeniedAttempt> events = logged();
        assertEquals(EventLog.FIRST_PER_SOURCE + 2, events.size(), events::toString);
        assertEquals(0, log.dropped(), "nothing was pushed out of the log");
        assertEquals(EventLog.CAPACITY * 3 - EventLog.FIRST_PER_SOURCE, log.suppressed());
        assertEquals(
                List.of(445, 139),
                events.subList(events.size() - 2, events.size()).stream()
                        .map(DeniedAttempt::port)
                        .toList());
    }

    @Test
    void aFloodOverManyDestinationsIsCappedPerUserAndAppAndLeavesOtherUsersFirstEvents() {
        for (int host = 0; host < 10_000; host++) {
            for (int repeat = 0; repeat < 3; repeat++) {
                log.add(deny(1000, null, "10.20." + host / 256 + "." + host % 256, 80));
            }
        }
        log.add(deny(0, "ssh", "10.20.0.10", 23));

        List<DeniedAttempt> events = logged();
        assertEquals(EventLog.NEW_SOURCES_PER_PRINCIPAL * 3 + 1, events.size());
        assertEquals(23, events.getLast().port(), "root's probe is there");
        assertEquals(0, log.dropped());
    }

    @Test
    void aProbeOfManyPortsOfOneHostIsLoggedWholeWhileARepeatedAttemptIsSummarised() {
        for (int port = 1; port <= 50; port++) {
            log.add(deny(1000, null, "10.20.0.10", port));
            log.add(deny(1000, null, "10.20.0.10", 22));
        }
        List<DeniedAttempt> events = logged();
        assertEquals(50 + EventLog.FIRST_PER_SOURCE - 1, events.size(), events::toString);
        assertEquals(50 - EventLog.FIRST_PER_SOURCE + 1, log.suppressed());
    }

    @Test
    void whenASourcesWindowEndsOneSummarySaysHowManyWereSuppressedAndTheSourceIsHeardAgain() {
        for (int i = 0; i < 50; i++) {
            log.add(deny(1000, null, "10.20.0.10", 22));
        }
        clock.addAndGet(EventLog.WINDOW_NANOS - 1);
        log.endWindows();
        assertEquals(EventLog.FIRST_PER_SOURCE, logged().size(), "no summary before the window ends");

        clock.addAndGet(1);
        log.endWindows();
        DeniedAttempt summary = logged().getLast();
        assertEquals(45L, summary.suppressed(), summary::toString);
        assertEquals("same uid, app, address, port, protocol and hook", summary.like());
        assertEquals("10.20.0.10", summary.destination());

        log.add(deny(1000, null, "10.20.0.10", 22));
        assertEquals(EventLog.FIRST_PER_SOURCE + 2, logged().size(), "a new window logs the source again");
        assertEquals(null, logged().getLast().suppressed());
    }

    @Test
    void inboundEventsAreToldApartByTheirRemoteSource() {
        for (int i = 0; i < 1000; i++) {
            log.add(inbound(1000, "10.20.0.66"));
        }
        log.add(inbound(1000, "10.20.0.77"));

        assertEquals(EventLog.FIRST_PER_SOURCE + 1, logged().size());
        assertEquals("10.20.0.77", logged().getLast().source());
    }

    @Test
    void aPrincipalsOverflowOfAddressesIsSummarisedAsMoreAddresses() {
        for (int host = 0; host < EventLog.NEW_SOURCES_PER_PRINCIPAL + 7; host++) {
            log.add(deny(1000, "browser", "10.20.1." + host, 443));
        }
        clock.addAndGet(EventLog.WINDOW_NANOS);
        log.add(deny(1000, "browser", "10.20.9.9", 443)); // the windows end before it is judged

        List<DeniedAttempt> summaries =
                logged().stream().filter(e -> e.suppressed() != null).toList();
        assertEquals(1, summaries.size(), summaries::toString);
        assertEquals(7L, summaries.getFirst().suppressed());
        assertEquals("more addresses", summaries.getFirst().like());
        assertTrue(
                logged().getLast().destination().equals("10.20.9.9"),
                "a new window opens sources again: " + logged().getLast());
    }
}
