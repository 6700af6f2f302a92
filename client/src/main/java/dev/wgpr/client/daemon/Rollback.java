package dev.wgpr.client.daemon;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * The undo actions of one tunnel's stages, run last first: by {@code down}, by the daemon's orderly
 * stop, and by {@code up} itself when a later stage fails, so that a failed {@code up} leaves nothing.
 * An undo that fails does not stop the others; its failure is reported.
 */
final class Rollback {
    /** One step back; may throw, the next one still runs. */
    @FunctionalInterface
    interface Undo {
        void run() throws Exception;
    }

    private record Step(String what, Undo undo) {}

    private final Deque<Step> steps = new ArrayDeque<>();

    /** Registers the undo of a stage that has just succeeded. */
    synchronized void add(String what, Undo undo) {
        steps.push(new Step(what, undo));
    }

    /** Runs every undo, the most recent first; returns the failures, in words. */
    synchronized List<String> unwind() {
        List<String> failures = new ArrayList<>();
        while (!steps.isEmpty()) {
            Step step = steps.pop();
            try {
                step.undo().run();
            } catch (Exception e) {
                failures.add("undo " + step.what() + ": " + e.getMessage());
            }
        }
        return failures;
    }
}
