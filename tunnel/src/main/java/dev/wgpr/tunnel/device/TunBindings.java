package dev.wgpr.tunnel.device;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.nio.charset.StandardCharsets;

/** The TUN driver's ioctls ({@code <linux/if_tun.h>}, {@code <net/if.h>}): attaching, offloads, MTU. */
final class TunBindings {
    private TunBindings() {}

    static final short IFF_TUN = 0x0001;
    static final short IFF_NO_PI = 0x1000;
    /** Every read and write starts with a {@code struct virtio_net_hdr} (10 bytes): offloads. */
    static final short IFF_VNET_HDR = 0x4000;

    /** {@code _IOW('T', 202, int)}. */
    private static final long TUNSETIFF = 0x400454caL;
    /** {@code _IOW('T', 208, unsigned int)}: the offloads the reader accepts. */
    private static final long TUNSETOFFLOAD = 0x400454d0L;

    private static final long SIOCGIFMTU = 0x8921L;
    private static final long SIOCSIFMTU = 0x8922L;
    static final int TUN_F_CSUM = 0x01;
    static final int TUN_F_TSO4 = 0x02;
    static final int TUN_F_TSO6 = 0x04;
    static final int TUN_F_TSO_ECN = 0x08;

    private static final int IFNAMSIZ = 16;
    /** {@code struct ifreq}: {@code char ifr_name[16]; union { short ifr_flags; int ifr_mtu; ... } (24 bytes)}. */
    private static final StructLayout IFREQ = MemoryLayout.structLayout(
                    MemoryLayout.sequenceLayout(IFNAMSIZ, JAVA_BYTE).withName("ifr_name"),
                    JAVA_SHORT.withName("ifr_flags"),
                    MemoryLayout.paddingLayout(22))
            .withName("ifreq");

    private static final long IFREQ_UNION_OFFSET = IFREQ.byteOffset(MemoryLayout.PathElement.groupElement("ifr_flags"));

    /**
     * {@code ioctl(fd, TUNSETIFF, &ifr)} on an open {@code /dev/net/tun}: attaches the descriptor to the
     * TUN/TAP interface {@code name} (created if absent, removed when the last descriptor closes unless made
     * persistent). Returns the interface name the kernel chose, which differs from {@code name} when that was
     * a pattern such as {@code "tun%d"}.
     */
    static String setIff(int fd, String name, short flags) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ifr = ifreq(arena, name);
            ifr.set(JAVA_SHORT, IFREQ_UNION_OFFSET, flags);
            Libc.ioctl(fd, TUNSETIFF, ifr, "ioctl TUNSETIFF " + name);
            return ifr.getString(0);
        }
    }

    /** {@code ioctl(fd, TUNSETOFFLOAD, offloads)}: the {@code TUN_F_*} the reader can take. */
    static void setOffload(int fd, long offloads) throws ErrnoException {
        Libc.ioctl(fd, TUNSETOFFLOAD, MemorySegment.ofAddress(offloads), "ioctl TUNSETOFFLOAD");
    }

    /**
     * The MTU of interface {@code name}, asked through {@code socket}, any socket of the interface's network
     * namespace the caller keeps open: it needs no new descriptor, so it works when the process is out of
     * them ({@code EMFILE}).
     */
    static int interfaceMtu(int socket, String name) throws ErrnoException {
        return mtuIoctl(socket, name, SIOCGIFMTU, 0);
    }

    /** Sets the MTU of interface {@code name}, as {@code ip link set NAME mtu MTU} does. */
    static void setInterfaceMtu(String name, int mtu) throws ErrnoException {
        int fd = Libc.socket(Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
        try {
            mtuIoctl(fd, name, SIOCSIFMTU, mtu);
        } finally {
            Libc.close(fd);
        }
    }

    private static int mtuIoctl(int socket, String name, long request, int mtu) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ifr = ifreq(arena, name);
            ifr.set(JAVA_INT, IFREQ_UNION_OFFSET, mtu);
            Libc.ioctl(socket, request, ifr, "ioctl MTU " + name);
            return ifr.get(JAVA_INT, IFREQ_UNION_OFFSET);
        }
    }

    private static MemorySegment ifreq(Arena arena, String name) {
        byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
        if (bytes.length >= IFNAMSIZ || name.isEmpty()) {
            throw new IllegalArgumentException("interface name must be 1.." + (IFNAMSIZ - 1) + " bytes: " + name);
        }
        MemorySegment ifr = arena.allocate(IFREQ);
        MemorySegment.copy(bytes, 0, ifr, JAVA_BYTE, 0, bytes.length);
        return ifr;
    }
}
