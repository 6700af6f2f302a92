package dev.wgpr.enforcement.policy;

/** A grant or port set that does not parse; {@link #kind()} says which part is wrong. */
public final class InvalidGrantException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public enum Kind {
        /** Not {@code PREFIX [PROTO[/PORTS]]}: wrong shape, unknown protocol, a port that is no number. */
        SYNTAX,
        /** The prefix is no IPv4 or IPv6 prefix. */
        PREFIX,
        /** The prefix has host bits set; the message shows the prefix it would be. */
        HOST_BITS,
        /** A port of 0 or above 65535, or a range whose end is below its start. */
        PORT_RANGE,
    }

    private final Kind kind;

    InvalidGrantException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
