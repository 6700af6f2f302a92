package dev.wgpr.routes.netlink;

/**
 * A network interface as rtnetlink reports it ({@code RTM_NEWLINK}).
 *
 * @param index the interface index ({@code ifi_index})
 * @param name the interface name ({@code IFLA_IFNAME})
 * @param type the ARPHRD_* device type ({@code ifi_type}), e.g. 772 for loopback, 65534 for TUN
 * @param flags the IFF_* flags ({@code ifi_flags})
 * @param mtu the MTU ({@code IFLA_MTU}), or 0 when the kernel did not say
 */
public record Link(int index, String name, int type, int flags, int mtu) {
    public static final int IFF_UP = 0x1;
    public static final int IFF_LOOPBACK = 0x8;
    public static final int IFF_POINTOPOINT = 0x10;
    public static final int IFF_RUNNING = 0x40;
    public static final int IFF_NOARP = 0x80;
    public static final int IFF_LOWER_UP = 0x10000;

    /** ARPHRD_NONE: what a TUN device (IFF_TUN) reports as its type. */
    public static final int ARPHRD_NONE = 0xfffe;

    public static final int ARPHRD_LOOPBACK = 772;

    public boolean isUp() {
        return (flags & IFF_UP) != 0;
    }

    public boolean isLoopback() {
        return (flags & IFF_LOOPBACK) != 0;
    }
}
