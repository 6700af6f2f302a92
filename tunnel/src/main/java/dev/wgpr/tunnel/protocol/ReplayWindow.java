package dev.wgpr.tunnel.protocol;

/**
 * The receive-side replay filter of one keypair: RFC 6479's sliding window as the kernel implementation
 * builds it, a ring of 32 64-bit words (2048 bits) of which all but one word form the window, so 1984
 * counters below the greatest accepted one are still judged exactly. Counters at or beyond {@link
 * Limits#REJECT_AFTER_MESSAGES} are refused. Call it only after the message authenticated. Thread-safe.
 */
final class ReplayWindow {
    static final int BITS_TOTAL = 2048;
    static final int WORD_BITS = Long.SIZE;
    static final int WORDS = BITS_TOTAL / WORD_BITS;
    static final int WINDOW_SIZE = BITS_TOTAL - WORD_BITS;

    private final long[] ring = new long[WORDS];
    /** One more than the greatest counter accepted so far; 0 before the first. */
    private long next;

    /** Whether {@code counter} (unsigned) is new and inside the window; if so it is remembered. */
    synchronized boolean accept(long counter) {
        if (Long.compareUnsigned(counter, Limits.REJECT_AFTER_MESSAGES) >= 0) {
            return false;
        }
        long position = counter + 1;
        if (Long.compareUnsigned(position + WINDOW_SIZE, next) < 0) {
            return false; // too old: slid out of the window
        }
        long word = position >>> 6;
        if (Long.compareUnsigned(position, next) > 0) {
            long currentWord = next >>> 6;
            long toClear = Math.min(word - currentWord, WORDS);
            for (long i = 1; i <= toClear; i++) {
                ring[(int) ((currentWord + i) & (WORDS - 1))] = 0;
            }
            next = position;
        }
        int slot = (int) (word & (WORDS - 1));
        long bit = 1L << (position & (WORD_BITS - 1));
        if ((ring[slot] & bit) != 0) {
            return false;
        }
        ring[slot] |= bit;
        return true;
    }
}
