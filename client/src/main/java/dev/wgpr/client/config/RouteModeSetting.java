package dev.wgpr.client.config;

import dev.wgpr.client.config.ConfigProblem.Reason;
import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.routes.RouteMode;
import java.util.Arrays;
import java.util.Collection;
import java.util.stream.Collectors;

/** The {@code routeMode} a config asks for: a {@link RouteMode}, or {@code auto} to let the allowedIPs decide. */
public enum RouteModeSetting {
    /** di-semi-default when some allowedIPs hold 0.0.0.0/0 or ::/0, else per-prefix. */
    AUTO("auto"),
    PER_PREFIX("per-prefix"),
    DI_SEMI_DEFAULT("di-semi-default");

    private final String text;

    RouteModeSetting(String text) {
        this.text = text;
    }

    /**
     * Parses {@code auto}, {@code per-prefix} or {@code di-semi-default}.
     *
     * @throws IllegalArgumentException for anything else
     */
    public static RouteModeSetting parse(String text) {
        return Arrays.stream(values())
                .filter(mode -> mode.text.equals(text))
                .findFirst()
                .orElseThrow(() -> new InvalidValueException(
                        Reason.BAD_ROUTE_MODE,
                        "unknown route mode '" + text + "'; expected one of "
                                + Arrays.stream(values())
                                        .map(RouteModeSetting::text)
                                        .collect(Collectors.joining(", "))));
    }

    /** The route mode this setting means for these allowedIPs (of all peers). */
    public RouteMode resolve(Collection<IpPrefix> allowedIPs) {
        return switch (this) {
            case AUTO -> RouteMode.auto(allowedIPs);
            case PER_PREFIX -> RouteMode.PER_PREFIX;
            case DI_SEMI_DEFAULT -> RouteMode.DI_SEMI_DEFAULT;
        };
    }

    /** As written in a config. */
    public String text() {
        return text;
    }

    @Override
    public String toString() {
        return text;
    }
}
