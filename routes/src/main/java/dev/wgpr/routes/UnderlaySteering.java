package dev.wgpr.routes;

import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.routes.netlink.Route;
import dev.wgpr.routes.netlink.RtNetlink;
import dev.wgpr.routes.netlink.Rule;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What sends marked sockets around the tunnels (enforcement/DESIGN.md, "Modes"): a table that mirrors
 * {@code main} without wg-pr's routes (the routes the host would use were no tunnel up), ended by an
 * {@code unreachable} default so that marked traffic never falls through to {@code main} and its tunnels,
 * and one {@code fwmark} rule per family that sends the mark there, asked just before {@code main}.
 *
 * <p>Everything is derived from the mark, so a restarted daemon finds a crashed run's rules and table
 * without any state: the table's number is the mark itself, the rules' preference {@code 31000 + (mark
 * & 0x3ff)} (below {@code main}'s 32766, above the {@code default} rule; other software's earlier rules
 * still come first).
 *
 * <p>The mirror is what {@code main} holds but wg-pr's own routes and any route through a tunnel
 * (the kernel's route for a tunnel address's network is not the underlay either). {@link #follow} brings it
 * to {@code main} as it is now: the daemon calls it when the underlay changes (a new Wi-Fi, a DHCP lease),
 * so a bypassing process takes the route the host would take. Routes the copy cannot express (multipath
 * ones) are left out and reported.
 */
public final class UnderlaySteering {
    /** The rules' and the unreachable routes' metric: the highest, so any copied route wins. */
    private static final int LAST_METRIC = -1;

    private final int mark;

    private UnderlaySteering(int mark) {
        this.mark = mark;
    }

    /** The steering of sockets marked {@code mark} (non-zero). */
    public static UnderlaySteering forMark(int mark) {
        if (mark == 0) {
            throw new IllegalArgumentException("mark 0 is every unmarked socket");
        }
        return new UnderlaySteering(mark);
    }

    public int mark() {
        return mark;
    }

    public int table() {
        return mark;
    }

    public int priority() {
        return 31_000 + (mark & 0x3ff);
    }

    /** The rule of one family. */
    public Rule rule(boolean ipv4) {
        return new Rule(ipv4, priority(), mark, -1, table());
    }

    /**
     * Fills the table from {@code main} and adds the rules, table first so that no rule ever points at an
     * empty table. Returns what could not be copied, in words. Leaves nothing behind when it throws.
     */
    public List<String> install(RtNetlink rt) throws ErrnoException {
        List<String> skipped = new ArrayList<>();
        try {
            for (boolean ipv4 : new boolean[] {true, false}) {
                for (Route route : mirrorOf(rt, ipv4)) {
                    add(rt, route, skipped);
                }
                rt.addRoute(Route.unreachable(IpPrefix.parse(ipv4 ? "0.0.0.0/0" : "::/0"))
                        .withTable(table())
                        .withMetric(LAST_METRIC)
                        .withProtocol(RouteTag.PROTOCOL));
            }
            rt.addRule(rule(true));
            rt.addRule(rule(false));
        } catch (ErrnoException | RuntimeException e) {
            try {
                remove(rt);
            } catch (ErrnoException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        return skipped;
    }

    /**
     * Brings the mirror to {@code main} as it is now: adds what {@code main} gained, removes what it lost.
     * Returns the changes and what could not be copied, in words; nothing while the steering is not installed.
     */
    public List<String> follow(RtNetlink rt) throws ErrnoException {
        List<String> changes = new ArrayList<>();
        if (!inForce(rt)) {
            return changes;
        }
        for (boolean ipv4 : new boolean[] {true, false}) {
            Set<Route> wanted = new LinkedHashSet<>(mirrorOf(rt, ipv4));
            for (Route route : rt.routes(ipv4, table())) {
                if (route.protocol() != RouteTag.PROTOCOL && !wanted.remove(route)) {
                    rt.removeRoute(route);
                    changes.add("underlay mirror: removed " + route);
                }
            }
            for (Route route : wanted) {
                if (add(rt, route, changes)) {
                    changes.add("underlay mirror: added " + route);
                }
            }
        }
        return changes;
    }

    /** The routes of the family the table should hold, as they would be in it: {@code main} but the tunnels. */
    private List<Route> mirrorOf(RtNetlink rt, boolean ipv4) throws ErrnoException {
        Set<Integer> tunnels = new HashSet<>();
        for (boolean family : new boolean[] {true, false}) {
            for (Route route : rt.routes(family, Route.MAIN_TABLE)) {
                if (RouteTag.isIntoATunnel(route) && route.interfaceIndex() != 0) {
                    tunnels.add(route.interfaceIndex());
                }
            }
        }
        return rt.routes(ipv4, Route.MAIN_TABLE).stream()
                // a tunnel's route, bypass host route or fail-closed twin, or the kernel's route of a tunnel's
                // address: not the underlay
                .filter(route -> route.protocol() != RouteTag.PROTOCOL && !tunnels.contains(route.interfaceIndex()))
                .map(route -> route.withTable(table()))
                .toList();
    }

    /** Adds {@code route}; when the kernel refuses it, says so in {@code skipped} and returns false. */
    private static boolean add(RtNetlink rt, Route route, List<String> skipped) {
        try {
            rt.addRoute(route);
            return true;
        } catch (ErrnoException e) {
            skipped.add("route " + route + " not mirrored: " + e.getMessage());
            return false;
        }
    }

    /**
     * Removes the rules, then every route of the table; whatever of them is there (a crashed run's too).
     * Rules first: once they are gone the table is no longer asked.
     */
    public void remove(RtNetlink rt) throws ErrnoException {
        for (boolean ipv4 : new boolean[] {true, false}) {
            for (Rule rule : rt.rules(ipv4)) {
                if (rule.equals(rule(ipv4))) {
                    rt.removeRule(rule);
                }
            }
        }
        for (boolean ipv4 : new boolean[] {true, false}) {
            for (Route route : rt.routes(ipv4, table())) {
                rt.removeRoute(route);
            }
        }
    }

    /** Whether both rules are in force (status, tests). */
    public boolean inForce(RtNetlink rt) throws ErrnoException {
        return rt.rules(true).contains(rule(true)) && rt.rules(false).contains(rule(false));
    }
}
