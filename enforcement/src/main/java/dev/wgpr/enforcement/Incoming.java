package dev.wgpr.enforcement;

import java.util.Locale;

/**
 * Who may be reached through a tunnel from its peers' side: {@code incoming} in a tunnel's {@code
 * [interface]} (enforcement/DESIGN.md, "Incoming"). The replies to what the apps send are judged by their
 * grants in every setting.
 */
public enum Incoming {
    /** Nothing from the tunnel reaches a listener, not even an app's. */
    NONE,
    /**
     * An app's socket on one of its {@code listen} ports accepts from the sources its grants' prefixes hold;
     * every other listener is refused. The default.
     */
    APPS,
    /** Any socket accepts from the tunnel's peers (its internal prefixes), as on an ordinary interface. */
    ALL;

    /** As the config writes it. */
    public String text() {
        return name().toLowerCase(Locale.ROOT);
    }
}
