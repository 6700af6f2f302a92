package dev.wgpr.client.cli;

/**
 * One thing {@code wg-pr doctor} finds out about this kernel and system. Adding a check is adding an
 * implementation to {@link DoctorChecks#all()}. A check may try things for real but must leave the
 * system as it found it, also when it fails.
 */
interface DoctorCheck {
    /** Short name shown in the report, e.g. "cgroup2". */
    String name();

    /**
     * One sentence: what the answer means for wg-pr's guarantees. A {@link Finding} may replace it
     * with a sentence for its particular outcome.
     */
    String meaning();

    /** Whether the check can only tell the truth as root; without root it reports WARN, not tried. */
    default boolean needsRoot() {
        return false;
    }

    /** Finds out. Exceptions become a FAIL with their message. */
    Finding run() throws Exception;

    enum Status {
        OK,
        WARN,
        FAIL
    }

    /**
     * What a check found: a status, a detail (the fact, e.g. the mount point or the errno) and,
     * optionally, the meaning of this outcome (else the check's {@link #meaning()}).
     */
    record Finding(Status status, String detail, String meaning) {
        static Finding ok(String detail) {
            return new Finding(Status.OK, detail, null);
        }

        static Finding warn(String detail) {
            return new Finding(Status.WARN, detail, null);
        }

        static Finding fail(String detail) {
            return new Finding(Status.FAIL, detail, null);
        }

        Finding meaning(String outcomeMeaning) {
            return new Finding(status, detail, outcomeMeaning);
        }
    }

    /** A line of the report. */
    record Result(String check, Status status, String detail, String meaning) {}
}
