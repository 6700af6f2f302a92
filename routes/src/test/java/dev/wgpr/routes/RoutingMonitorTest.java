package dev.wgpr.routes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.routes.netlink.RoutingEvent;
import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import dev.wgpr.testing.lab.Topologies;
import dev.wgpr.testing.lab.Topologies.Routed;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
class RoutingMonitorTest {
    @Test
    @SuppressWarnings("try") // the monitor is only opened and closed here
    void seesRouteAddressAndLinkChangesMadeByIpInItsNamespace(NetnsLab lab) throws Exception {
        Routed net = Topologies.routed(lab);
        BlockingQueue<RoutingEvent> events = new LinkedBlockingQueue<>();
        List<Exception> errors = new CopyOnWriteArrayList<>();
        try (RoutingMonitor monitor = net.client().call(() -> RoutingMonitor.start(events::add, errors::add))) {
            IpPrefix changed = IpPrefix.parse("10.77.0.0/16");
            net.client().ip("route", "add", changed.toString(), "via", Routed.GATEWAY_V4);
            awaitEvent(
                    events,
                    e -> e.kind() == RoutingEvent.Kind.ROUTE
                            && !e.removed()
                            && e.route().orElseThrow().destination().equals(changed));
            net.client().ip("route", "del", changed.toString());
            awaitEvent(
                    events,
                    e -> e.kind() == RoutingEvent.Kind.ROUTE
                            && e.removed()
                            && e.route().orElseThrow().destination().equals(changed));
            net.client()
                    .ip("-6", "route", "replace", "default", "via", Routed.GATEWAY_V6, "metric", "1024", "mtu", "1400");
            awaitEvent(
                    events,
                    e -> e.kind() == RoutingEvent.Kind.ROUTE
                            && e.route().orElseThrow().isDefault()
                            && !e.route().orElseThrow().isIpv4());
            net.client().ip("address", "add", "192.168.10.3/24", "dev", "eth0");
            awaitEvent(events, e -> e.kind() == RoutingEvent.Kind.ADDRESS && !e.removed());
            net.client().ip("link", "set", "dev", "eth0", "down");
            awaitEvent(events, e -> e.kind() == RoutingEvent.Kind.LINK);
        }
        assertEquals(List.of(), errors);
    }

    @Test
    @SuppressWarnings("try") // the monitor is only opened and closed here
    void seesNothingOfAnotherNamespace(NetnsLab lab) throws Exception {
        Routed net = Topologies.routed(lab);
        BlockingQueue<RoutingEvent> events = new LinkedBlockingQueue<>();
        try (RoutingMonitor monitor = net.client().call(() -> RoutingMonitor.start(events::add, e -> {}))) {
            net.router().ip("route", "add", "10.77.0.0/16", "via", "198.51.100.10");
            net.client().ip("route", "add", "10.78.0.0/16", "via", Routed.GATEWAY_V4);
            RoutingEvent first = awaitEvent(events, e -> e.kind() == RoutingEvent.Kind.ROUTE);
            assertEquals(
                    IpPrefix.parse("10.78.0.0/16"), first.route().orElseThrow().destination());
        }
    }

    private static RoutingEvent awaitEvent(BlockingQueue<RoutingEvent> events, Predicate<RoutingEvent> wanted)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            RoutingEvent event = events.poll(100, TimeUnit.MILLISECONDS);
            if (event != null && wanted.test(event)) {
                return event;
            }
        }
        assertNotNull(null, "no such event within 5 s");
        throw new AssertionError();
    }
}
