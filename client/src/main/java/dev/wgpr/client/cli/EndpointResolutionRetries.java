package dev.wgpr.client.cli;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * How often {@code up} asks the daemon again when an endpoint's name could not be resolved, as wg(8) does
 * with the same variable: {@code WG_ENDPOINT_RESOLUTION_RETRIES} is a number of retries or {@code infinity}
 * (wg-pr@.service sets it, so a tunnel started at boot waits for the network and the resolver); without it,
 * none, so that a typo fails at once. Waits 1 s, then 1.2 times longer each time, at most 20 s.
 */
final class EndpointResolutionRetries {
    static final String VARIABLE = "WG_ENDPOINT_RESOLUTION_RETRIES";

    private static final Duration FIRST = Duration.ofSeconds(1);
    private static final Duration LONGEST = Duration.ofSeconds(20);

    /** Retries left; negative: no end. */
    private long left;

    private Duration next = FIRST;

    private EndpointResolutionRetries(long retries) {
        this.left = retries;
    }

    /**
     * The retries {@code environment} asks for.
     *
     * @throws IllegalArgumentException for a value that is neither a number nor {@code infinity}, with the words
     *     for the user
     */
    static EndpointResolutionRetries from(Map<String, String> environment) {
        String value = environment.get(VARIABLE);
        if (value == null || value.isBlank()) {
            return new EndpointResolutionRetries(0);
        }
        if (value.strip().toLowerCase(Locale.ROOT).equals("infinity")) {
            return new EndpointResolutionRetries(-1);
        }
        try {
            long retries = Long.parseLong(value.strip());
            if (retries >= 0) {
                return new EndpointResolutionRetries(retries);
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException(VARIABLE + "=" + value + " is neither a number of retries nor infinity");
    }

    /** The wait before the next try, or null when no retry is left (and then none is taken). */
    Duration takeOne() {
        if (left == 0) {
            return null;
        }
        if (left > 0) {
            left--;
        }
        Duration wait = next;
        Duration longer = Duration.ofMillis(next.toMillis() * 6 / 5);
        next = longer.compareTo(LONGEST) > 0 ? LONGEST : longer;
        return wait;
    }
}
