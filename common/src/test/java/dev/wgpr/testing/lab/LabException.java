package dev.wgpr.testing.lab;

/** The lab could not build, run or tear down something; the message says what and why. */
public final class LabException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public LabException(String message) {
        super(message);
    }

    public LabException(String message, Throwable cause) {
        super(message, cause);
    }
}
