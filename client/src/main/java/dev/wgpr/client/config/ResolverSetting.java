package dev.wgpr.client.config;

import dev.wgpr.client.config.ConfigProblem.Reason;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * How {@code up} tells the host's resolver about a tunnel's DNS: {@code dnsResolver} in {@code [interface]}.
 * A managed {@code /etc/resolv.conf} replaces what the host's own tools maintain, so it is chosen only when
 * the config asks for it, never by {@code auto}.
 */
public enum ResolverSetting {
    /** systemd-resolved when the host uses it, else resolvconf when installed, else nothing. */
    AUTO("auto"),
    /** systemd-resolved over D-Bus: per-link servers and routing domains. */
    SYSTEMD_RESOLVED("systemd-resolved"),
    /** {@code resolvconf -a}: Debian's resolvconf or openresolv. */
    RESOLVCONF("resolvconf"),
    /** {@code /etc/resolv.conf} replaced while the tunnel is up, the original put back byte for byte. */
    FILE("file"),
    /** The host's resolver is left alone. */
    NONE("none");

    private final String text;

    ResolverSetting(String text) {
        this.text = text;
    }

    /**
     * Parses one of {@link #text()}'s values.
     *
     * @throws InvalidValueException for anything else
     */
    public static ResolverSetting parse(String text) {
        return Arrays.stream(values())
                .filter(setting -> setting.text.equals(text))
                .findFirst()
                .orElseThrow(() -> new InvalidValueException(
                        Reason.BAD_DNS_RESOLVER,
                        "unknown dnsResolver '" + text + "'; expected one of "
                                + Arrays.stream(values())
                                        .map(ResolverSetting::text)
                                        .collect(Collectors.joining(", "))));
    }

    /** As the config writes it. */
    public String text() {
        return text;
    }
}
