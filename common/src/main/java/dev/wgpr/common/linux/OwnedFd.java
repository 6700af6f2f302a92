package dev.wgpr.common.linux;

/**
 * A file descriptor this object owns and closes exactly once. Using it after {@link #close()} throws
 * instead of touching whatever descriptor the number has been reused for.
 */
public final class OwnedFd implements AutoCloseable {
    private final String what;
    private int fd;

    /** Takes ownership of {@code fd}, a descriptor described by {@code what} in messages. */
    public OwnedFd(int fd, String what) {
        if (fd < 0) {
            throw new IllegalArgumentException("not a file descriptor: " + fd + " (" + what + ")");
        }
        this.fd = fd;
        this.what = what;
    }

    /** The descriptor; throws {@link IllegalStateException} once closed. */
    public synchronized int fd() {
        if (fd < 0) {
            throw new IllegalStateException(what + " is closed");
        }
        return fd;
    }

    public synchronized boolean isOpen() {
        return fd >= 0;
    }

    @Override
    public synchronized void close() throws ErrnoException {
        if (fd >= 0) {
            int closing = fd;
            fd = -1;
            Libc.close(closing);
        }
    }

    @Override
    public synchronized String toString() {
        return what + (fd >= 0 ? " (fd " + fd + ")" : " (closed)");
    }
}
