package dev.wgpr.routes;

import dev.wgpr.routes.netlink.Route;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.zip.CRC32;

/**
 * How wg-pr marks the routes it adds, so that a restarted daemon can find the ones a crashed run left
 * behind, and so that several instances (DESIGN: one instance name per daemon) never remove each
 * other's routes.
 *
 * <h2>Protocol: {@value #PROTOCOL} ({@code proto wg-pr})</h2>
 *
 * Every wg-pr route carries {@code rtm_protocol} {@value #PROTOCOL} (0x57, "W"). The kernel does not
 * interpret protocol values above {@code RTPROT_STATIC} (4); iproute2's {@code /etc/iproute2/rt_protos}
 * reserves 0–4, 8–16, 18 (keepalived), 42 (babel), 99 (openr) and 186–192 (bgp, isis, ospf, rip,
 * eigrp), and no routing daemon we know of (NetworkManager, systemd-networkd, BIRD, FRR, dhcpcd,
 * Tailscale, wg-quick) uses 87. {@code packaging/iproute2/rt_protos.d/wg-pr.conf} names it, so {@code ip
 * route} prints {@code proto wg-pr}.
 *
 * <h2>Instance: the metric band</h2>
 *
 * The route table cannot carry a name, and a separate table would need {@code ip rule}s (which the
 * exact-teardown requirement then has to restore as well). Instead each instance owns a band of three
 * metrics, {@code BASE + 4·(crc32(instance) mod 4096)}: {@link #bypassMetric()} for server host routes,
 * {@link #tunnelMetric()} for the routes into the tunnel and {@link #unreachableMetric()} for the
 * fail-closed {@code unreachable} routes. A route is this instance's iff its protocol is {@value
 * #PROTOCOL} and its metric is in the band. Metrics are part of a route's identity, so two instances
 * may even hold routes of the same prefix without {@code EEXIST}.
 *
 * <p>Consequences of the large metrics: among routes of exactly the same prefix, a pre-existing route
 * of a lower metric wins over wg-pr's (wg-pr never hijacks a route someone else installed for the very
 * same prefix); longest-prefix match is unaffected. Within the band the bypass route wins over a tunnel
 * route of the same prefix (endpoint/32 in allowedIPs), and the tunnel route over the unreachable one.
 */
public record RouteTag(String instance, int protocol, int metric) {
    /** {@code rtm_protocol} of every route wg-pr adds. */
    public static final int PROTOCOL = 87;

    /** The name iproute2 shows for {@link #PROTOCOL} once the packaging file is installed. */
    public static final String PROTOCOL_NAME = "wg-pr";

    /** A route's {@code rtm_protocol} as {@code ip route} names it with iproute2's table and wg-pr's entry. */
    public static String protocolName(int protocol) {
        return switch (protocol) {
            case 2 -> "kernel";
            case 3 -> "boot";
            case 4 -> "static";
            case PROTOCOL -> PROTOCOL_NAME;
            default -> Integer.toString(protocol);
        };
    }

    /** First metric of the bands: 0x57000000. */
    public static final int BASE_METRIC = 0x5700_0000;

    private static final int BANDS = 4096;
    private static final int BAND_WIDTH = 4;

    public RouteTag {
        Objects.requireNonNull(instance, "instance");
        if (metric < BASE_METRIC
                || metric >= BASE_METRIC + BANDS * BAND_WIDTH
                || (metric - BASE_METRIC) % BAND_WIDTH != 0) {
            throw new IllegalArgumentException("metric " + metric + " is not the start of a wg-pr band");
        }
    }

    /** The tag of instance {@code instance} (DESIGN's default instance is {@code wg-pr}). */
    public static RouteTag forInstance(String instance) {
        if (instance.isEmpty()) {
            throw new IllegalArgumentException("empty instance name");
        }
        CRC32 crc = new CRC32();
        crc.update(instance.getBytes(StandardCharsets.UTF_8));
        int band = (int) (crc.getValue() % BANDS);
        return new RouteTag(instance, PROTOCOL, BASE_METRIC + BAND_WIDTH * band);
    }

    public int bypassMetric() {
        return metric;
    }

    public int tunnelMetric() {
        return metric + 1;
    }

    public int unreachableMetric() {
        return metric + 2;
    }

    /** Whether {@code route} was added by this instance. */
    public boolean owns(Route route) {
        return route.protocol() == protocol && route.metric() >= metric && route.metric() <= unreachableMetric();
    }

    /** Whether {@code route} was added by any wg-pr instance. */
    public static boolean isWgPr(Route route) {
        return route.protocol() == PROTOCOL;
    }

    /**
     * Whether {@code route} leads into a tunnel of any wg-pr instance: one of its routes at a band's {@link
     * #tunnelMetric()} (a bypass host route leads to the underlay, an unreachable one nowhere).
     */
    public static boolean isIntoATunnel(Route route) {
        return isWgPr(route)
                && Integer.compareUnsigned(route.metric(), BASE_METRIC) >= 0
                && (route.metric() - BASE_METRIC) % BAND_WIDTH == 1;
    }
}
