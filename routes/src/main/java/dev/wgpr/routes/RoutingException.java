package dev.wgpr.routes;

import dev.wgpr.common.linux.ErrnoException;
import java.io.IOException;
import java.util.List;

/**
 * Removing installed changes failed for some of them (not counting those already gone). Every other
 * change was still undone; {@link #failures()} holds one kernel error per change left in place.
 */
public final class RoutingException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient List<ErrnoException> failures;

    public RoutingException(String message, List<ErrnoException> failures) {
        super(message + ": " + failures.stream().map(Throwable::getMessage).toList());
        this.failures = List.copyOf(failures);
        failures.forEach(this::addSuppressed);
    }

    public List<ErrnoException> failures() {
        return failures;
    }
}
