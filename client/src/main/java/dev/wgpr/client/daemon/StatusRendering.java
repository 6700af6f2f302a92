package dev.wgpr.client.daemon;

import dev.wgpr.client.control.DaemonStatus;
import java.time.Clock;

/**
 * An extension point: how the status reads as text, given to the daemon by whoever starts it (the CLI gives
 * its {@code wg-pr status} text), so that a {@code status-text} request gets the very text the CLI would
 * print from the status tree, without the CLI reading that tree.
 */
@FunctionalInterface
public interface StatusRendering {
    /** {@code status} as text, dates in {@code clock}'s zone and ages relative to it; every counter if {@code verbose}. */
    String render(DaemonStatus status, boolean verbose, Clock clock);
}
