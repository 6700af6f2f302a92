package dev.wgpr.client.config;

import dev.wgpr.client.config.ConfigProblem.Reason;
import dev.wgpr.common.net.IpPrefix;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;

/** How {@code up} routes the peers' allowedIPs into the tunnel. */
public enum RouteMode {
    /** di-semi-default when some allowedIPs hold 0.0.0.0/0 or ::/0, else per-prefix. */
    AUTO("auto"),
    /** One route per allowedIPs prefix. */
    PER_PREFIX("per-prefix"),
    /**
     * The two halves of the address space (0.0.0.0/1 + 128.0.0.0/1, ::/1 + 8000::/1) instead of a
     * default route: more specific than the default route, so it stays untouched, and the routes
     * vanish with the interface.
     */
    DI_SEMI_DEFAULT("di-semi-default");

    private static final List<IpPrefix> IPV4_HALVES =
            List.of(IpPrefix.parse("0.0.0.0/1"), IpPrefix.parse("128.0.0.0/1"));
    private static final List<IpPrefix> IPV6_HALVES = List.of(IpPrefix.parse("::/1"), IpPrefix.parse("8000::/1"));

    private final String text;

    RouteMode(String text) {
        this.text = text;
    }

    /**
     * Parses {@code auto}, {@code per-prefix} or {@code di-semi-default}.
     *
     * @throws IllegalArgumentException for anything else
     */
    public static RouteMode parse(String text) {
        return Arrays.stream(values())
                .filter(mode -> mode.text.equals(text))
                .findFirst()
                .orElseThrow(() -> new InvalidValueException(
                        Reason.BAD_ROUTE_MODE,
                        "unknown route mode '" + text + "'; expected one of "
                                + Arrays.stream(values()).map(RouteMode::text).collect(Collectors.joining(", "))));
    }

    /** Whether {@code allowedIPs} hold a default route, which is what makes {@link #AUTO} di-semi-default. */
    public static boolean holdsDefaultRoute(Collection<IpPrefix> allowedIPs) {
        return allowedIPs.stream().anyMatch(prefix -> prefix.length() == 0);
    }

    /** This mode with {@link #AUTO} decided for these allowedIPs (of all peers). */
    public RouteMode resolve(Collection<IpPrefix> allowedIPs) {
        if (this != AUTO) {
            return this;
        }
        return holdsDefaultRoute(allowedIPs) ? DI_SEMI_DEFAULT : PER_PREFIX;
    }

    /** The routes {@code up} installs through the tunnel for one allowedIPs prefix. */
    public List<IpPrefix> routesFor(IpPrefix allowed) {
        return switch (this) {
            case AUTO -> throw new IllegalStateException("resolve the route mode before asking for routes");
            case PER_PREFIX -> List.of(allowed);
            case DI_SEMI_DEFAULT ->
                allowed.length() != 0 ? List.of(allowed) : allowed.isIpv4() ? IPV4_HALVES : IPV6_HALVES;
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
