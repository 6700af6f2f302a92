package dev.wgpr.client.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** How the trace asks the daemon for its destinations' names: once a name is known, and never without a daemon. */
class DestinationNamesTest {
    private final AtomicLong now = new AtomicLong();
    private final List<String> asked = new ArrayList<>();

    @Test
    void anAddressWithoutANameIsAskedAgainOnlyAfterAWhileAndAMappedOneAsItsIpv4Self() {
        Map<String, String> daemon = new HashMap<>();
        DestinationNames names = new DestinationNames(
                addresses -> {
                    asked.addAll(addresses);
                    return Optional.of(Map.copyOf(daemon));
                },
                now::get);

        assertEquals("", names.nameOf(InetAddress.ofLiteral("10.20.0.10")));
        daemon.put("10.20.0.10", "db.corp.example.");
        assertEquals("", names.nameOf(InetAddress.ofLiteral("10.20.0.10")), "not asked again at once");
        now.addAndGet(DestinationNames.RETRY.toNanos());
        assertEquals("db.corp.example.", names.nameOf(InetAddress.ofLiteral("::ffff:10.20.0.10")));
        assertEquals("db.corp.example.", names.nameOf(InetAddress.ofLiteral("10.20.0.10")));

        assertEquals(List.of("10.20.0.10", "10.20.0.10"), asked);
    }

    @Test
    void withoutADaemonTheDaemonIsAskedOnceForTheWholeTrace() {
        DestinationNames names = new DestinationNames(
                addresses -> {
                    asked.addAll(addresses);
                    return Optional.empty();
                },
                now::get);

        assertEquals("", names.nameOf(InetAddress.ofLiteral("10.20.0.10")));
        now.addAndGet(DestinationNames.RETRY.toNanos());
        assertEquals("", names.nameOf(InetAddress.ofLiteral("10.20.0.10")));
        assertEquals("", names.nameOf(InetAddress.ofLiteral("fd10:20::10")));

        assertEquals(List.of("10.20.0.10"), asked);
    }
}
