package dev.wgpr.routes;

import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import dev.wgpr.routes.netlink.RtNetlink;
import java.util.ArrayList;
import java.util.List;

/**
 * The changes wg-pr made to one namespace's links, addresses and routes, recorded exactly as made so
 * that {@link #remove()} takes back those and nothing else: in reverse order, counting a change that
 * is already gone ({@code ESRCH}, {@code ENOENT}, {@code ENODEV}, {@code EADDRNOTAVAIL}: e.g. the
 * routes of a deleted tunnel interface) as undone, and reporting the rest.
 *
 * <p>{@link #apply} is all-or-nothing: when one change fails, those made before it are undone before
 * the error propagates.
 */
public final class InstalledRoutes implements AutoCloseable {
    private final RtNetlink rtnl;
    private final List<Change> made;
    private boolean removed;

    private InstalledRoutes(RtNetlink rtnl, List<Change> made) {
        this.rtnl = rtnl;
        this.made = made;
    }

    /**
     * Makes {@code changes} in order through {@code rtnl}, which the returned object keeps for {@link
     * #remove()} (so keep it open as long as this). On the first failure, undoes what was made and
     * throws that failure (undo failures attached as suppressed).
     */
    public static InstalledRoutes apply(RtNetlink rtnl, List<? extends Change> changes) throws ErrnoException {
        List<Change> made = new ArrayList<>(changes.size());
        for (Change change : changes) {
            try {
                make(rtnl, change);
            } catch (ErrnoException | RuntimeException e) {
                for (ErrnoException undoFailure : undoAll(rtnl, made)) {
                    e.addSuppressed(undoFailure);
                }
                throw e;
            }
            made.add(change);
        }
        return new InstalledRoutes(rtnl, made);
    }

    /** What was made, in order. */
    public synchronized List<Change> changes() {
        return removed ? List.of() : List.copyOf(made);
    }

    /** Takes back every change, last first. Idempotent. */
    public synchronized void remove() throws RoutingException {
        if (removed) {
            return;
        }
        removed = true;
        List<ErrnoException> failures = undoAll(rtnl, made);
        if (!failures.isEmpty()) {
            throw new RoutingException(
                    "could not take back " + failures.size() + " of " + made.size() + " changes", failures);
        }
    }

    @Override
    public void close() throws RoutingException {
        remove();
    }

    private static List<ErrnoException> undoAll(RtNetlink rtnl, List<Change> made) {
        List<ErrnoException> failures = new ArrayList<>();
        for (int i = made.size() - 1; i >= 0; i--) {
            try {
                undo(rtnl, made.get(i));
            } catch (ErrnoException e) {
                if (!isGone(e.errno())) {
                    failures.add(e);
                }
            }
        }
        return failures;
    }

    static boolean isGone(int errno) {
        return errno == Libc.ESRCH || errno == Libc.ENOENT || errno == Libc.ENODEV || errno == Libc.EADDRNOTAVAIL;
    }

    private static void make(RtNetlink rtnl, Change change) throws ErrnoException {
        switch (change) {
            case Change.Mtu mtu -> rtnl.setMtu(mtu.index(), mtu.mtu());
            case Change.LinkUp up -> rtnl.setUp(up.index(), true);
            case Change.Address address -> rtnl.addAddress(address.index(), address.address(), address.noDad());
            case Change.AddRoute route -> rtnl.addRoute(route.route());
        }
    }

    private static void undo(RtNetlink rtnl, Change change) throws ErrnoException {
        switch (change) {
            case Change.Mtu mtu -> rtnl.setMtu(mtu.index(), mtu.previous());
            case Change.LinkUp up -> rtnl.setUp(up.index(), false);
            case Change.Address address -> rtnl.removeAddress(address.index(), address.address());
            case Change.AddRoute route -> rtnl.removeRoute(route.route());
        }
    }
}
