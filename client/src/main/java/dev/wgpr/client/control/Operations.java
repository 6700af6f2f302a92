package dev.wgpr.client.control;

import java.util.Map;
import java.util.stream.Collectors;

/**
 * Each {@link Request}'s operation name on the socket. Maps rather than a pattern switch: a switch over
 * types is bootstrapped at its first run by method handles the CLI's ahead-of-time cache cannot keep,
 * which cost every {@code status} some 15 ms.
 */
final class Operations {
    static final Map<String, Class<? extends Request>> TYPES = Map.of(
            Protocol.PING, Request.Ping.class,
            Protocol.STATUS, Request.Status.class,
            Protocol.STATUS_TEXT, Request.StatusText.class,
            Protocol.UP, Request.Up.class,
            Protocol.DOWN, Request.Down.class,
            Protocol.RELOAD, Request.Reload.class,
            Protocol.RUN, Request.Run.class,
            Protocol.SIGNAL, Request.Signal.class,
            Protocol.EVENTS, Request.Events.class,
            Protocol.NAMES, Request.Names.class);

    static final Map<Class<? extends Request>, String> NAMES =
            TYPES.entrySet().stream().collect(Collectors.toUnmodifiableMap(Map.Entry::getValue, Map.Entry::getKey));

    private Operations() {}
}
