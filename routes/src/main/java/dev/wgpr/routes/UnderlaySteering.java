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
import java.util.stream.Stream;

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
            List<List<Route>> mirror = mirror(rt);
            for (int family = 0; family < 2; family++) {
                for (Route route : mirror.get(family)) {
                    add(rt, route, skipped);
                }
                rt.addRoute(Route.unreachable(IpPrefix.parse(family == 0 ? "0.0.0.0/0" : "::/0"))
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
        List<List<Route>> mirror = mirror(rt);
        for (int family = 0; family < 2; family++) {
            Set<Route> wanted = new LinkedHashSet<>(mirror.get(family));
            for (Route route : rt.routes(family == 0, table())) {
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

    /**
     * The routes the table should hold, IPv4's then IPv6's, as they would be in it: {@code main} but wg-pr's
     * routes (a tunnel's, a bypass host route, a fail-closed twin) and every route through a tunnel (the
     * kernel's route of a tunnel address's network): what is left is the underlay.
     */
    private List<List<Route>> mirror(RtNetlink rt) throws ErrnoException {
        List<Route> v4 = rt.routes(true, Route.MAIN_TABLE);
        List<Route> v6 = rt.routes(false, Route.MAIN_TABLE);
        Set<Integer> tunnels =
                tunnelLinks(Stream.concat(v4.stream(), v6.stream()).toList());
        return Stream.of(v4, v6)
                .map(main -> main.stream()
                        .filter(route ->
                                route.protocol() != RouteTag.PROTOCOL && !tunnels.contains(route.interfaceIndex()))
                        .map(route -> route.withTable(table()))
                        .toList())
                .toList();
    }

    /** The interface indexes that {@code routes} (of {@code main}) send into a tunnel of any wg-pr instance. */
    public static Set<Integer> tunnelLinks(List<Route> routes) {
        Set<Integer> tunnels = new HashSet<>();
        for (Route route : routes) {
            if (RouteTag.isIntoATunnel(route) && route.interfaceIndex() != 0) {
                tunnels.add(route.interfaceIndex());
            }
        }
        return tunnels;
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
