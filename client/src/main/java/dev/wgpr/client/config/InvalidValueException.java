package dev.wgpr.client.config;

import dev.wgpr.client.config.ConfigProblem.Reason;

/**
 * A value that does not parse, with the reason to report. The reader adds file, line, column and
 * field; outside this package it is just an {@link IllegalArgumentException}.
 */
final class InvalidValueException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final Reason reason;

    InvalidValueException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    Reason reason() {
        return reason;
    }
}
