package dev.wgpr.routes;

import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.routes.netlink.Route;
import dev.wgpr.routes.netlink.RtNetlink;
import dev.wgpr.routes.netlink.Rule;
import java.util.ArrayList;
import java.util.List;

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
 * <p>The mirror is a copy as of {@link #install}: it does not follow later changes of {@code main} yet
 * (a follow-up: the route monitor), so after the underlay changes a bypassing process may take a stale
 * route until the next {@code up}. Routes the copy cannot express (multipath ones) are left out and
 * reported.
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
                for (Route route : rt.routes(ipv4, Route.MAIN_TABLE)) {
                    if (route.protocol() == RouteTag.PROTOCOL) {
                        continue; // a tunnel's route, bypass host route or fail-closed twin: not the underlay
                    }
                    try {
                        rt.addRoute(route.withTable(table()));
                    } catch (ErrnoException e) {
                        skipped.add("route " + route + " not mirrored: " + e.getMessage());
                    }
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
