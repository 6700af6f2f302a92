package dev.wgpr.routes;

import dev.wgpr.common.net.IpPrefix;
import java.util.Collection;
import java.util.Locale;

/** How the internal prefixes are routed into the tunnel (config key {@code routeMode}). */
public enum RouteMode {
    /** One route per {@code allowedIPs} prefix. */
    PER_PREFIX,
    /**
     * {@code 0.0.0.0/1} + {@code 128.0.0.0/1} (and {@code ::/1} + {@code 8000::/1} when {@code ::/0} is
     * allowed) instead of replacing the default route, which stays untouched.
     */
    DI_SEMI_DEFAULT;

    /** As a config writes it: {@code per-prefix}, {@code di-semi-default}. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** DESIGN's {@code auto}: di-semi-default when {@code allowedIPs} holds 0.0.0.0/0 or ::/0, else per-prefix. */
    public static RouteMode auto(Collection<IpPrefix> allowedIps) {
        return allowedIps.stream().anyMatch(p -> p.length() == 0) ? DI_SEMI_DEFAULT : PER_PREFIX;
    }

    /** The config word, e.g. {@code di-semi-default}. */
    public String word() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
