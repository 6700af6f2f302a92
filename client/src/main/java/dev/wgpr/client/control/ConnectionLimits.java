package dev.wgpr.client.control;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * How many control connections the daemon holds at once: at most {@link #perUser()} of each user, at most
 * {@link #othersTotal()} of all users but root together, and root's own {@link #root()} beside them, so no
 * load of other users can keep root out. A {@code run} holds its connection while the app runs, so a user's
 * limit is also how many apps it runs at once through the daemon.
 *
 * <p>The counts bound what connections cost the daemon: descriptors, a thread for each one that sent its
 * request, and the buffer of each one still sending it.
 */
public final class ConnectionLimits {
    private final int perUser;
    private final int othersTotal;
    private final int root;
    private final Map<Integer, Integer> open = new HashMap<>();
    private int others;

    public ConnectionLimits(int perUser, int othersTotal, int root) {
        this.perUser = perUser;
        this.othersTotal = othersTotal;
        this.root = root;
    }

    /** The daemon's: 32 per user, 128 for all users but root, 64 more for root. */
    public static ConnectionLimits defaults() {
        return new ConnectionLimits(32, 128, 64);
    }

    public int perUser() {
        return perUser;
    }

    public int othersTotal() {
        return othersTotal;
    }

    public int root() {
        return root;
    }

    /** A connection counted until {@link #close()} (which is idempotent). */
    public final class Slot implements AutoCloseable {
        private final int uid;
        private boolean closed;

        private Slot(int uid) {
            this.uid = uid;
        }

        @Override
        public void close() {
            synchronized (ConnectionLimits.this) {
                if (closed) {
                    return;
                }
                closed = true;
                open.merge(uid, -1, (a, b) -> a + b == 0 ? null : a + b);
                if (uid != 0) {
                    others--;
                }
            }
        }
    }

    /** A slot for a connection of {@code uid}, or why there is none. */
    public synchronized Admission admit(int uid) {
        int ofUser = open.getOrDefault(uid, 0);
        if (uid == 0 ? ofUser >= root : ofUser >= perUser) {
            return new Admission(
                    Optional.empty(),
                    "too many control connections of uid " + Integer.toUnsignedString(uid) + " (at most "
                            + (uid == 0 ? root : perUser) + " at once)");
        }
        if (uid != 0 && others >= othersTotal) {
            return new Admission(
                    Optional.empty(),
                    "too many control connections of all users (at most " + othersTotal + " at once)");
        }
        open.merge(uid, 1, Integer::sum);
        if (uid != 0) {
            others++;
        }
        return new Admission(Optional.of(new Slot(uid)), "");
    }

    /** The connections counted now, by uid. */
    public synchronized Map<Integer, Integer> open() {
        return Map.copyOf(open);
    }

    /** A slot, or the reason for none. */
    public record Admission(Optional<Slot> slot, String refusal) {}
}
