package dev.wgpr.routes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.routes.netlink.Link;
import dev.wgpr.routes.netlink.RouteLookup;
import dev.wgpr.routes.netlink.RtNetlink;
import dev.wgpr.testing.lab.CommandResult;
import dev.wgpr.testing.lab.Namespace;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Helpers of the namespace tests: the tunnel stand-in, snapshots, and {@code ip route get} comparisons. */
final class RouteLab {
    static final String TUNNEL = "corp0";

    private RouteLab() {}

    /** A persistent TUN interface (no dummy module here) standing in for the tunnel device (a real one is the tunnel module's). */
    static void addTunnelStandIn(Namespace ns) {
        ns.ip("tuntap", "add", "dev", TUNNEL, "mode", "tun");
    }

    /** An rtnetlink socket of {@code ns}'s routing (opened on a thread inside it). */
    static RtNetlink rtnl(Namespace ns) {
        return ns.call(RtNetlink::open);
    }

    /** Everything {@code down} must restore, as iproute2 prints it. */
    static Map<String, String> snapshot(Namespace ns) {
        Map<String, String> state = new LinkedHashMap<>();
        for (List<String> args : List.of(
                List.of("route"),
                List.of("-6", "route"),
                List.of("rule"),
                List.of("-6", "rule"),
                List.of("link"),
                List.of("address"))) {
            state.put("ip " + String.join(" ", args), ns.ip(args.toArray(String[]::new)));
        }
        return state;
    }

    /** {@code ip route get ADDRESS} in {@code ns}: (dev, via) or empty when the kernel refuses. */
    record IpRouteGet(String output, boolean refused, String dev, String via) {}

    static IpRouteGet ipRouteGet(Namespace ns, InetAddress address) {
        String family = address.getAddress().length == 4 ? "-4" : "-6";
        CommandResult result = ns.exec("ip", family, "route", "get", address.getHostAddress());
        if (!result.succeeded()) {
            return new IpRouteGet(result.stderr().strip(), true, null, null);
        }
        String[] words = result.stdout().strip().split("\\s+");
        String dev = null;
        String via = null;
        for (int i = 0; i + 1 < words.length; i++) {
            if (words[i].equals("dev")) {
                dev = words[i + 1];
            } else if (words[i].equals("via")) {
                via = words[i + 1];
            }
        }
        return new IpRouteGet(result.stdout().strip(), false, dev, via);
    }

    /**
     * Checks our lookup of each address against {@code ip route get} in {@code ns}: both refuse, or
     * both name the same device and gateway.
     */
    static void assertLookupsMatchIpRouteGet(Namespace ns, RtNetlink rtnl, List<InetAddress> addresses)
            throws Exception {
        Map<Integer, String> names = new HashMap<>();
        for (Link link : rtnl.links()) {
            names.put(link.index(), link.name());
        }
        for (InetAddress address : addresses) {
            RouteLookup ours = rtnl.lookup(address);
            IpRouteGet theirs = ipRouteGet(ns, address);
            String what = address.getHostAddress() + ": ours " + ours + " vs ip route get: " + theirs.output();
            if (theirs.refused()) {
                assertFalse(ours.reachable(), what);
                continue;
            }
            assertTrue(ours.reachable(), what);
            assertEquals(theirs.dev(), names.get(ours.interfaceIndex()), what);
            assertEquals(Optional.ofNullable(theirs.via()).map(RouteLab::address), ours.gateway(), what);
        }
    }

    static InetAddress address(String text) {
        return IpPrefix.parseAddress(text);
    }
}
