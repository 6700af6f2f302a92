package dev.wgpr.client.config;

import dev.wgpr.client.config.ConfigProblem.Reason;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * What a tunnel's prefixes are for processes that are no app of it: {@code others} in {@code [interface]}.
 * A per-tunnel choice because one host may hold a corporate tunnel (deny) beside a consumer VPN (bypass).
 */
public enum OthersSetting {
    /** The prefixes are the apps' alone; everyone else is denied them (the ProcRoute model, the default). */
    DENY("deny"),
    /**
     * The prefixes are the apps' alone through the tunnel; everyone else reaches them through the underlay,
     * as if the tunnel were not up. With 0.0.0.0/0 or ::/0 that is include mode: only the apps use the VPN.
     */
    BYPASS("bypass");

    private final String text;

    OthersSetting(String text) {
        this.text = text;
    }

    /**
     * Parses {@code deny} or {@code bypass}.
     *
     * @throws InvalidValueException for anything else
     */
    public static OthersSetting parse(String text) {
        return Arrays.stream(values())
                .filter(others -> others.text.equals(text))
                .findFirst()
                .orElseThrow(() -> new InvalidValueException(
                        Reason.BAD_OTHERS,
                        "unknown others '" + text + "'; expected one of "
                                + Arrays.stream(values())
                                        .map(OthersSetting::text)
                                        .collect(Collectors.joining(", "))
                                + " (what processes that are no app get of this tunnel's prefixes)"));
    }

    /** As the config writes it. */
    public String text() {
        return text;
    }
}
