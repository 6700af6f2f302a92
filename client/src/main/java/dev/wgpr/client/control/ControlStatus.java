package dev.wgpr.client.control;

import java.util.Map;

/**
 * The control socket's counts, for {@code status}.
 *
 * @param open the connections open now, by uid
 * @param awaitingRequest connections accepted whose request is not whole yet
 */
public record ControlStatus(
        Map<String, Integer> open,
        int awaitingRequest,
        Limits limits,
        long refusedOverLimit,
        long requestTimedOut,
        long requestTooLong,
        long acceptFailures,
        long acceptFailureEpisodes) {
    public ControlStatus {
        open = OrderedMaps.copy(open);
    }

    /** How many connections at once: per user, of all users but root together, of root. */
    public record Limits(int perUser, int allUsersButRoot, int root) {}
}
