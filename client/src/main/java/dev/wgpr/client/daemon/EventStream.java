package dev.wgpr.client.daemon;

import dev.wgpr.client.control.DeniedAttempt;
import dev.wgpr.client.control.PeerCredentials;
import dev.wgpr.client.control.Protocol;
import dev.wgpr.client.control.Reply;
import dev.wgpr.client.control.Request;
import dev.wgpr.client.control.UnixSocket;
import dev.wgpr.common.linux.ErrnoException;
import java.io.IOException;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * {@code events}: the deny events in the log; with {@code follow} the connection stays open and each new
 * event follows, until the caller goes away or the daemon stops. Root only: events name other users'
 * processes.
 */
final class EventStream {
    private final EventLog events;
    private final BooleanSupplier stopping;

    EventStream(EventLog events, BooleanSupplier stopping) {
        this.events = events;
        this.stopping = stopping;
    }

    void serve(UnixSocket connection, PeerCredentials caller, Request.Events request) throws IOException {
        if (!caller.isRoot()) {
            RequestDispatch.send(
                    connection,
                    new Reply.Error(
                            Protocol.PERMISSION,
                            "only root may read deny events (you are uid " + Integer.toUnsignedString(caller.uid())
                                    + ")"));
            return;
        }
        List<DeniedAttempt> recent = events.after(0);
        RequestDispatch.send(connection, new Reply.Events(recent, events.dropped(), events.suppressed()));
        if (!request.follow()) {
            return;
        }
        long seen = recent.isEmpty() ? events.latest() : recent.getLast().seq();
        try {
            while (!stopping.getAsBoolean()) {
                for (DeniedAttempt event : events.await(seen, 1000)) {
                    RequestDispatch.send(connection, event);
                    seen = event.seq();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ErrnoException e) {
            // the follower went away
        }
    }
}
