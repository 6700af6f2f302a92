package dev.wgpr.routes;

import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.routes.netlink.Route;
import dev.wgpr.routes.netlink.RtNetlink;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The server host routes (bypass routes) of a daemon's tunnels, counted by holder. Two tunnels to one
 * server (two ports, or two configs) need the very same host route, which the kernel holds only once
 * (same prefix, metric and table: {@code EEXIST}); the first tunnel adds it, the last one to go
 * removes it, so that taking one tunnel down never cuts the other's underlay path.
 */
final class SharedBypassRoutes {
    private final Map<Route, Integer> holders = new HashMap<>();

    /**
     * Adds each of {@code routes} that no tunnel holds yet, except those in {@code inKernel} (a
     * crashed run's, taken over as they are); all or (on a failure) none are held.
     */
    synchronized void acquire(RtNetlink rtnl, List<Route> routes, List<Route> inKernel) throws ErrnoException {
        List<Route> acquired = new ArrayList<>();
        try {
            for (Route route : routes) {
                if (!holders.containsKey(route) && !inKernel.contains(route)) {
                    rtnl.addRoute(route);
                }
                holders.merge(route, 1, Integer::sum);
                acquired.add(route);
            }
        } catch (ErrnoException | RuntimeException e) {
            for (ErrnoException undoFailure : release(rtnl, acquired)) {
                e.addSuppressed(undoFailure);
            }
            throw e;
        }
    }

    /**
     * Drops one hold on each of {@code routes}, removing a route whose last holder this was; returns
     * the removals that failed (a route already gone is no failure).
     */
    synchronized List<ErrnoException> release(RtNetlink rtnl, List<Route> routes) {
        List<ErrnoException> failures = new ArrayList<>();
        for (Route route : routes.reversed()) {
            int left = holders.getOrDefault(route, 1) - 1;
            if (left > 0) {
                holders.put(route, left);
                continue;
            }
            holders.remove(route);
            try {
                rtnl.removeRoute(route);
            } catch (ErrnoException e) {
                if (!InstalledRoutes.isGone(e.errno())) {
                    failures.add(e);
                }
            }
        }
        return failures;
    }
}
