package dev.wgpr.client.daemon;

import dev.wgpr.client.control.DeniedAttempt;
import dev.wgpr.client.control.PeerCredentials;
import dev.wgpr.client.control.Reply;
import dev.wgpr.client.control.Request;
import dev.wgpr.client.control.UnixSocket;
import dev.wgpr.common.linux.ErrnoException;
import java.io.IOException;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/**
 * {@code events}: the deny events in the log; with {@code follow} the connection stays open and each new
 * event follows, until the caller goes away or the daemon stops. Root gets every event; any other caller
 * only those of its own processes (its uid, and a task named: inbound and backstop events name no process),
 * which is what the tray shows and notifies its user of.
 */
final class EventStream {
    private final EventLog events;
    private final BooleanSupplier stopping;

    EventStream(EventLog events, BooleanSupplier stopping) {
        this.events = events;
        this.stopping = stopping;
    }

    void serve(UnixSocket connection, PeerCredentials caller, Request.Events request) throws IOException {
        Predicate<DeniedAttempt> visible = visibleTo(caller);
        List<DeniedAttempt> all = events.after(0);
        List<DeniedAttempt> recent = all.stream().filter(visible).toList();
        RequestDispatch.send(connection, new Reply.Events(recent, events.dropped(), events.suppressed()));
        if (!request.follow()) {
            return;
        }
        long seen = all.isEmpty() ? events.latest() : all.getLast().seq();
        try {
            while (!stopping.getAsBoolean()) {
                for (DeniedAttempt event : events.await(seen, 1000)) {
                    if (visible.test(event)) {
                        RequestDispatch.send(connection, event);
                    }
                    seen = event.seq();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ErrnoException e) {
            // the follower went away
        }
    }

    /** Root sees every event; another caller those of its own processes. */
    static Predicate<DeniedAttempt> visibleTo(PeerCredentials caller) {
        if (caller.isRoot()) {
            return event -> true;
        }
        long uid = Integer.toUnsignedLong(caller.uid());
        return event -> event.pid() != 0 && event.uid() == uid && !event.inbound();
    }
}
