package dev.wgpr.enforcement.policy;

import java.util.Locale;

/** The transport protocol a grant covers, as written in a grant: {@code tcp}, {@code udp} or {@code any}. */
public enum Protocol {
    TCP,
    UDP,
    /** Every protocol, also those without ports. */
    ANY;

    /**
     * Parses {@code tcp}, {@code udp} or {@code any} (lower case, as the config grammar writes them).
     *
     * @throws InvalidGrantException of kind SYNTAX for anything else
     */
    public static Protocol parse(String text) {
        for (Protocol protocol : values()) {
            if (protocol.text().equals(text)) {
                return protocol;
            }
        }
        throw new InvalidGrantException(
                InvalidGrantException.Kind.SYNTAX, "unknown protocol '" + text + "'; expected tcp, udp or any");
    }

    /** Whether a grant for this protocol covers traffic of {@code other}. */
    public boolean covers(Protocol other) {
        return this == ANY || this == other;
    }

    /** As written in a grant. */
    public String text() {
        return name().toLowerCase(Locale.ROOT);
    }
}
