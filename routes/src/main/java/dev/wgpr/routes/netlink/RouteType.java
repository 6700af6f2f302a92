package dev.wgpr.routes.netlink;

import java.util.Locale;

/** {@code rtm_type}: what a route does with a packet ({@code RTN_*} of {@code <linux/rtnetlink.h>}). */
public enum RouteType {
    UNSPEC(0),
    UNICAST(1),
    LOCAL(2),
    BROADCAST(3),
    ANYCAST(4),
    MULTICAST(5),
    BLACKHOLE(6),
    UNREACHABLE(7),
    PROHIBIT(8),
    THROW(9),
    NAT(10),
    XRESOLVE(11);

    private final int kernelValue;

    RouteType(int kernelValue) {
        this.kernelValue = kernelValue;
    }

    public int kernelValue() {
        return kernelValue;
    }

    /** The type of a kernel {@code rtm_type}; unknown values read as {@link #UNSPEC}. */
    public static RouteType of(int kernelValue) {
        for (RouteType type : values()) {
            if (type.kernelValue == kernelValue) {
                return type;
            }
        }
        return UNSPEC;
    }

    /** The word {@code ip route} prints for this type, e.g. {@code unreachable}. */
    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }
}
