package dev.wgpr.routes;

import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import dev.wgpr.routes.netlink.Route;
import dev.wgpr.routes.netlink.RtNetlink;
import java.util.ArrayList;
import java.util.List;

/**
 * The changes wg-pr made to one namespace's links, addresses and routes, recorded exactly as made so
 * that {@link #remove()} takes back those and nothing else: in reverse order, counting a change that
 * is already gone ({@code ESRCH}, {@code ENOENT}, {@code ENODEV}, {@code EADDRNOTAVAIL}: e.g. the
 * routes of a deleted tunnel interface) as undone, and reporting the rest.
 *
 * <p>{@link #update} is all-or-nothing: when one change fails, those it made before are undone before
 * the error propagates.
 */
final class InstalledRoutes implements AutoCloseable {
    private final RtNetlink rtnl;
    private final List<Change> made;
    private boolean removed;

    private InstalledRoutes(RtNetlink rtnl, List<Change> made) {
        this.rtnl = rtnl;
        this.made = made;
    }

    /**
     * Takes over routes that are in the kernel already (those a crashed run of wg-pr left): {@link
     * #update} then replaces or removes them like routes this object made, and {@link #remove()}
     * removes those that remain.
     */
    static InstalledRoutes adopt(RtNetlink rtnl, List<Route> routes) {
        List<Change> made = new ArrayList<>();
        routes.forEach(route -> made.add(new Change.AddRoute(route)));
        return new InstalledRoutes(rtnl, made);
    }

    /** What one {@link #update} added and took away. */
    record Update(List<Change> added, List<Change> removed) {
        public Update {
            added = List.copyOf(added);
            removed = List.copyOf(removed);
        }
    }

    /**
     * Brings what is installed to {@code target} (a fresh {@link RoutingPreview}) without a gap:
     * what is new goes in before what went is taken out, so the tunnel's routes and their fail-closed
     * twins never lapse. A route whose kernel identity (table, destination, metric) a changed route
     * takes over is removed just before its successor goes in. The MTU's original value and the link's
     * up state stay as the first {@code up} recorded them, so {@link #remove()} still restores the state
     * before {@code up}. All or nothing: on a failure this call's changes are undone and it throws.
     */
    synchronized Update update(List<? extends Change> target) throws ErrnoException {
        if (removed) {
            throw new IllegalStateException("already removed");
        }
        List<Change> next = new ArrayList<>(made);
        List<Change> added = new ArrayList<>();
        List<Change> taken = new ArrayList<>();
        List<NetlinkStep> rollback = new ArrayList<>();
        try {
            for (Change change : target) {
                switch (change) {
                    case Change.LinkUp up -> {
                        if (!next.contains(up)) {
                            make(rtnl, up);
                            next.add(up);
                            added.add(up);
                            rollback.add(() -> undo(rtnl, up));
                        }
                    }
                    case Change.Mtu mtu -> updateMtu(mtu, next, added, rollback);
                    case Change.Address address -> {
                        if (!next.contains(address)) {
                            make(rtnl, address);
                            next.add(address);
                            added.add(address);
                            rollback.add(() -> undo(rtnl, address));
                        }
                    }
                    case Change.AddRoute route -> {
                        if (next.contains(route)) {
                            continue;
                        }
                        for (Change old : List.copyOf(next)) {
                            if (old instanceof Change.AddRoute previous
                                    && !target.contains(previous)
                                    && sameIdentity(previous.route(), route.route())) {
                                undo(rtnl, previous);
                                next.remove(previous);
                                taken.add(previous);
                                rollback.add(() -> make(rtnl, previous));
                            }
                        }
                        make(rtnl, route);
                        next.add(route);
                        added.add(route);
                        rollback.add(() -> undo(rtnl, route));
                    }
                }
            }
            for (Change old : List.copyOf(next).reversed()) {
                boolean stays = target.contains(old) || old instanceof Change.LinkUp || old instanceof Change.Mtu;
                if (!stays) {
                    boolean wasThere = undoIfThere(rtnl, old);
                    next.remove(old);
                    taken.add(old);
                    if (wasThere) {
                        rollback.add(() -> make(rtnl, old));
                    }
                }
            }
        } catch (ErrnoException | RuntimeException e) {
            for (NetlinkStep step : rollback.reversed()) {
                try {
                    step.run();
                } catch (ErrnoException | RuntimeException undoFailure) {
                    e.addSuppressed(undoFailure);
                }
            }
            throw e;
        }
        made.clear();
        made.addAll(next);
        return new Update(added, taken);
    }

    /** A new MTU keeps the value from before {@code up} as the one to restore. */
    private void updateMtu(Change.Mtu mtu, List<Change> next, List<Change> added, List<NetlinkStep> rollback)
            throws ErrnoException {
        for (int i = 0; i < next.size(); i++) {
            if (next.get(i) instanceof Change.Mtu first && first.index() == mtu.index()) {
                Change.Mtu kept = new Change.Mtu(first.index(), first.previous(), mtu.mtu());
                rtnl.setMtu(mtu.index(), mtu.mtu());
                next.set(i, kept);
                added.add(kept);
                rollback.add(() -> rtnl.setMtu(first.index(), first.mtu()));
                return;
            }
        }
        make(rtnl, mtu);
        next.add(mtu);
        added.add(mtu);
        rollback.add(() -> undo(rtnl, mtu));
    }

    /** Whether the kernel would see {@code a} and {@code b} as the same FIB entry ({@code EEXIST}). */
    private static boolean sameIdentity(Route a, Route b) {
        return a.table() == b.table()
                && a.metric() == b.metric()
                && a.destination().equals(b.destination());
    }

    private interface NetlinkStep {
        void run() throws ErrnoException;
    }

    /** What was made, in order. */
    synchronized List<Change> changes() {
        return removed ? List.of() : List.copyOf(made);
    }

    /** Takes back every change, last first. Idempotent. */
    synchronized void remove() throws RoutingException {
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

    /**
     * Undoes {@code change}; false when it was gone already (a route of a crashed daemon's kernel
     * interface, deleted with the interface), which is what undoing it wanted.
     */
    private static boolean undoIfThere(RtNetlink rtnl, Change change) throws ErrnoException {
        try {
            undo(rtnl, change);
            return true;
        } catch (ErrnoException e) {
            if (isGone(e.errno())) {
                return false;
            }
            throw e;
        }
    }

    static boolean isGone(int errno) {
        return errno == Libc.ESRCH || errno == Libc.ENOENT || errno == Libc.ENODEV || errno == Libc.EADDRNOTAVAIL;
    }

    private static void make(RtNetlink rtnl, Change change) throws ErrnoException {
        switch (change) {
            case Change.Mtu mtu -> rtnl.setMtu(mtu.index(), mtu.mtu());
            case Change.LinkUp up -> {
                rtnl.disableIpv6LinkLocal(up.index());
                rtnl.setUp(up.index(), true);
            }
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
