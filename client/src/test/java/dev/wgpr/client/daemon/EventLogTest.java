package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class EventLogTest {
    private final AtomicLong clock = new AtomicLong(1_000);
    private final EventLog log = new EventLog(clock::get);

    private static Map<String, Object> deny(long uid, String app, String destination, int port) {
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("pid", 4242L);
        event.put("direction", "outbound");
        event.put("uid", uid);
        event.put("app", app);
        event.put("destination", destination);
        event.put("port", (long) port);
        return event;
    }

    private List<Map<String, Object>> logged() {
        return log.after(0);
    }

    @Test
    void aFloodOfOneSourceFillingTheLogSeveralTimesOverDoesNotHideALaterProbeOfAnother() {
        for (int i = 0; i < EventLog.CAPACITY * 3; i++) {
            log.add(deny(1000, null, "10.20.0.10", 22));
        }
        log.add(deny(1001, null, "10.20.0.99", 445));
        log.add(deny(1001, null, "10.20.0.99", 139));

        List<Map<String, Object>> events = logged();
        assertEquals(EventLog.FIRST_PER_SOURCE + 2, events.size(), events::toString);
        assertEquals(0, log.dropped(), "nothing was pushed out of the log");
        assertEquals(EventLog.CAPACITY * 3 - EventLog.FIRST_PER_SOURCE, log.suppressed());
        assertEquals(
                List.of(445L, 139L),
                events.subList(events.size() - 2, events.size()).stream()
                        .map(e -> e.get("port"))
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

        List<Map<String, Object>> events = logged();
        assertEquals(EventLog.NEW_SOURCES_PER_PRINCIPAL * 3 + 1, events.size());
        assertEquals(23L, events.getLast().get("port"), "root's probe is there");
        assertEquals(0, log.dropped());
    }

    @Test
    void aProbeOfManyPortsOfOneHostIsLoggedWholeWhileARepeatedAttemptIsSummarised() {
        for (int port = 1; port <= 50; port++) {
            log.add(deny(1000, null, "10.20.0.10", port));
            log.add(deny(1000, null, "10.20.0.10", 22));
        }
        List<Map<String, Object>> events = logged();
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
        Map<String, Object> summary = logged().getLast();
        assertEquals(45L, summary.get("suppressed"), summary::toString);
        assertEquals("same uid, app, address, port, protocol and hook", summary.get("like"));
        assertEquals("10.20.0.10", summary.get("destination"));

        log.add(deny(1000, null, "10.20.0.10", 22));
        assertEquals(EventLog.FIRST_PER_SOURCE + 2, logged().size(), "a new window logs the source again");
        assertEquals(null, logged().getLast().get("suppressed"));
    }

    @Test
    void inboundEventsAreToldApartByTheirRemoteSource() {
        for (int i = 0; i < 1000; i++) {
            Map<String, Object> flood = deny(1000, null, null, 0);
            flood.put("direction", "inbound");
            flood.put("source", "10.20.0.66");
            log.add(flood);
        }
        Map<String, Object> probe = deny(1000, null, null, 0);
        probe.put("direction", "inbound");
        probe.put("source", "10.20.0.77");
        log.add(probe);

        assertEquals(EventLog.FIRST_PER_SOURCE + 1, logged().size());
        assertEquals("10.20.0.77", logged().getLast().get("source"));
    }

    @Test
    void aPrincipalsOverflowOfAddressesIsSummarisedAsMoreAddresses() {
        for (int host = 0; host < EventLog.NEW_SOURCES_PER_PRINCIPAL + 7; host++) {
            log.add(deny(1000, "browser", "10.20.1." + host, 443));
        }
        clock.addAndGet(EventLog.WINDOW_NANOS);
        log.add(deny(1000, "browser", "10.20.9.9", 443)); // the windows end before it is judged

        List<Map<String, Object>> summaries =
                logged().stream().filter(e -> e.containsKey("suppressed")).toList();
        assertEquals(1, summaries.size(), summaries::toString);
        assertEquals(7L, summaries.getFirst().get("suppressed"));
        assertEquals("more addresses", summaries.getFirst().get("like"));
        assertTrue(
                logged().getLast().get("destination").equals("10.20.9.9"),
                "a new window opens sources again: " + logged().getLast());
    }
}
