package dev.wgpr.client.daemon;

/**
 * {@code up} could not finish; everything it had done was taken back. {@link #kind()} tells the CLI
 * which exit status and words fit.
 */
final class UpFailedException extends Exception {
    private static final long serialVersionUID = 1L;

    enum Kind {
        /** The config is invalid (exit 2). */
        BAD_CONFIG,
        /** The system refused (names, kernel, permissions). */
        FAILED,
        /**
         * An endpoint's name could not be resolved: at boot, before the network or the resolver is ready, a
         * caller may try again ({@code WG_ENDPOINT_RESOLUTION_RETRIES}, as wg(8) does).
         */
        UNRESOLVED,
    }

    private final Kind kind;

    UpFailedException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    UpFailedException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    Kind kind() {
        return kind;
    }
}
