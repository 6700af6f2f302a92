package dev.wgpr.tunnel.uapi;

/**
 * A failed UAPI operation, carrying the errno the protocol replies with: negative, as wireguard-go
 * writes it ({@code errno=-22}), and as {@code wg} expects it.
 */
public final class UapiException extends Exception {
    private static final long serialVersionUID = 1L;

    /** {@code -EIO}: the request could not be read (too long, cut off). */
    public static final int IO = -5;
    /** {@code -EPROTO}: a line is not {@code key=value}. */
    public static final int PROTOCOL = -71;
    /** {@code -EINVAL}: an unknown key or a bad value. */
    public static final int INVALID = -22;
    /** {@code -EADDRINUSE}: the listen port (or fwmark) could not be applied to the socket. */
    public static final int PORT_IN_USE = -98;

    private final int errno;

    public UapiException(int errno, String message) {
        super(message);
        if (errno >= 0) {
            throw new IllegalArgumentException("a UAPI errno is negative, got " + errno);
        }
        this.errno = errno;
    }

    /** The negative errno for the {@code errno=} line. */
    public int errno() {
        return errno;
    }

    static UapiException invalid(String message) {
        return new UapiException(INVALID, message);
    }
}
