package dev.wgpr.client.daemon;

import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.routes.RouteTag;
import dev.wgpr.routes.RoutingMonitor;
import dev.wgpr.routes.netlink.RoutingEvent;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Follows the underlay (when the gateway or the network changes, decide again): every link,
 * address or route change in the daemon's namespace that is not one of wg-pr's own routes schedules one
 * {@link Tunnels#refreshRouting()} a moment later, so a burst of changes (a new DHCP lease, a cable
 * plugged in) is answered once, after it settles.
 */
final class UnderlayWatch implements AutoCloseable {
    static final long SETTLE_MILLIS = 250;

    private final Tunnels tunnels;
    private final PrintStream log;
    private final ScheduledExecutorService scheduler;
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final RoutingMonitor monitor;

    private UnderlayWatch(Tunnels tunnels, PrintStream log) throws ErrnoException {
        this.tunnels = tunnels;
        this.log = log;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("underlay-refresh").daemon().factory());
        try {
            this.monitor = RoutingMonitor.start(this::changed, e -> log.println("wg-pr daemon: routing monitor: " + e));
        } catch (ErrnoException | RuntimeException e) {
            scheduler.shutdownNow();
            throw e;
        }
    }

    /** Starts watching the calling thread's network namespace. */
    static UnderlayWatch start(Tunnels tunnels, PrintStream log) throws ErrnoException {
        return new UnderlayWatch(tunnels, log);
    }

    private void changed(RoutingEvent event) {
        if (event.route().filter(RouteTag::isWgPr).isPresent()) {
            return; // wg-pr's own routes: what a refresh (or up, down, reload) did
        }
        if (scheduled.compareAndSet(false, true)) {
            scheduler.schedule(this::refresh, SETTLE_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    private void refresh() {
        scheduled.set(false);
        try {
            Map<String, List<String>> changed = tunnels.refreshRouting();
            changed.forEach((tunnel, changes) -> changes.forEach(
                    change -> log.println("wg-pr daemon: underlay changed, " + tunnel + ": " + change)));
        } catch (Throwable t) {
            // The executor would keep it in a future no one reads: say it, the next change tries again.
            log.println("wg-pr daemon: underlay refresh failed: " + t);
        }
    }

    @Override
    public void close() throws ErrnoException {
        try {
            monitor.close();
        } finally {
            scheduler.shutdownNow();
        }
    }
}
