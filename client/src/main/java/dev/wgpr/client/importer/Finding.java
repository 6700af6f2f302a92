package dev.wgpr.client.importer;

import java.util.Comparator;
import java.util.Objects;

/**
 * Something the user must know about an import: a line that was not carried over, a value that
 * was changed on the way, or a consequence of wg-pr's model they might not expect.
 *
 * @param line the 1-based line in the wg-quick file the finding is about
 * @param key the wg-quick key (canonical spelling for known keys, as written otherwise)
 */
public record Finding(int line, String key, Kind kind, String message) {
    public enum Kind {
        /** The line has no counterpart in wg-pr's config; it is listed instead of dropped. */
        NOT_CARRIED_OVER("not carried over"),
        /** The value was carried over in a different but equivalent or stricter form. */
        CHANGED("changed"),
        /** Carried over faithfully, but wg-pr will behave differently from wg-quick. */
        WARNING("warning");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /** By line; findings of one line keep their order. */
    static final Comparator<Finding> IN_LINE_ORDER = Comparator.comparingInt(Finding::line);

    public Finding {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(message, "message");
    }

    /** One line for a report: {@code wg0.conf:7: PostUp: scripts are not run by wg-pr}. */
    public String describe(String fileName) {
        return fileName + ":" + line + ": " + key + ": " + message;
    }
}
