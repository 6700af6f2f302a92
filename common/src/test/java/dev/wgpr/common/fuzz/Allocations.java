package dev.wgpr.common.fuzz;

import java.lang.management.ManagementFactory;

/**
 * What the current thread allocates on the heap, from HotSpot's per-thread counters: how a fuzz target
 * checks that a parser's allocation is bounded by its input, not by a length field or a repeat count
 * inside it.
 */
public final class Allocations {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** An action whose allocation is measured; what it throws does not matter here. */
    @FunctionalInterface
    public interface Action {
        void run() throws Exception;
    }

    /**
     * What any single call may allocate before its input counts: exception stack traces, regex matchers,
     * and under Jazzer's instrumentation its comparison hooks (which alone reach a few hundred KiB). A
     * bound is this plus a constant factor of the input; what it catches is amplification, a length field
     * or repeat count driving an allocation of megabytes or gigabytes.
     */
    public static final long BASELINE = 1 << 20;

    /**
     * What each byte of input may add: linear, but generous, because under Jazzer's instrumentation a
     * parser that compiles a small regular expression per list item pays tens of KiB per item.
     */
    public static final long PER_INPUT_BYTE = 16 * 1024;

    private Allocations() {}

    /**
     * Runs {@code action} twice and throws when the second run (the first loads classes, compiles
     * patterns and links lambdas) allocated more than {@code limit} bytes: a parser allocated more than
     * its input can justify.
     */
    public static void requireAtMost(long limit, String what, Action action) {
        runIgnoringFailure(action);
        long start = THREADS.getCurrentThreadAllocatedBytes();
        runIgnoringFailure(action);
        long allocated = THREADS.getCurrentThreadAllocatedBytes() - start;
        if (allocated > limit) {
            throw new AssertionError(what + " allocated " + allocated + " bytes, more than the bound of " + limit);
        }
    }

    private static void runIgnoringFailure(Action action) {
        try {
            action.run();
        } catch (Exception refused) {
            // the target checks what may be thrown; here only the allocation counts
        }
    }
}
