package dev.wgpr.routes;

import dev.wgpr.common.ThreadFailures;
import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.routes.netlink.RoutingEvent;
import dev.wgpr.routes.netlink.RtNetlinkEvents;
import java.util.function.Consumer;

/**
 * Watches links, addresses and routes (IPv4 and IPv6) of the network namespace of the thread that
 * {@linkplain #start starts} it, and calls back on every change on its own platform thread, so the
 * daemon can recompute the server bypass when the gateway or the network changes. The listener must not
 * block for long; an exception from it ends nothing (it is handed to {@code onError}).
 */
public final class RoutingMonitor implements AutoCloseable {
    private static final int POLL_MILLIS = 100;

    private final RtNetlinkEvents events;
    private final Thread thread;
    private volatile boolean running = true;

    private RoutingMonitor(RtNetlinkEvents events, Consumer<RoutingEvent> listener, Consumer<Exception> onError) {
        this.events = events;
        ThreadFailures failures = new ThreadFailures(line -> onError.accept(new IllegalStateException(line)));
        this.thread = Thread.ofPlatform().daemon().name("wg-pr-routing-monitor").unstarted(() -> {
            while (running) {
                try {
                    events.poll(POLL_MILLIS, event -> {
                        try {
                            listener.accept(event);
                        } catch (RuntimeException e) {
                            onError.accept(e);
                        }
                    });
                } catch (ErrnoException | RuntimeException e) {
                    onError.accept(e);
                } catch (Throwable t) {
                    failures.survive(t); // an Error must not end the watch silently
                }
            }
        });
    }

    /** Subscribes (in the calling thread's network namespace) and starts calling {@code listener}. */
    public static RoutingMonitor start(Consumer<RoutingEvent> listener, Consumer<Exception> onError)
            throws ErrnoException {
        RoutingMonitor monitor = new RoutingMonitor(RtNetlinkEvents.open(), listener, onError);
        monitor.thread.start();
        return monitor;
    }

    /** Stops calling back (within about {@value #POLL_MILLIS} ms) and closes the socket. */
    @Override
    public void close() throws ErrnoException {
        running = false;
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        events.close();
    }
}
