package dev.wgpr.routes.netlink;

/**
 * A netlink reply that does not have the shape its family documents: a length past the end, a wrong
 * attribute size, a missing required attribute. Thrown instead of reading past what the kernel sent.
 */
public final class MalformedReplyException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    MalformedReplyException(String message) {
        super(message);
    }
}
