package dev.wgpr.routes.netlink;

import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * rtnetlink ({@code NETLINK_ROUTE}) through libmnl, in the network namespace of the calling thread at
 * the time of {@link #open()}. Reading links needs no privileges.
 */
public final class RtNetlink implements AutoCloseable {
    private final NetlinkSocket socket;

    private RtNetlink(NetlinkSocket socket) {
        this.socket = socket;
    }

    public static RtNetlink open() throws ErrnoException {
        return new RtNetlink(NetlinkSocket.open(Libmnl.NETLINK_ROUTE, "rtnetlink"));
    }

    /** Every interface: {@code RTM_GETLINK} with {@code NLM_F_DUMP}, in the kernel's order (by index). */
    public List<Link> links() throws ErrnoException {
        List<Link> links = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            NetlinkRequest request = socket.request(arena, Libmnl.RTM_GETLINK, Libmnl.NLM_F_DUMP);
            request.putExtraHeader(Libmnl.IFINFOMSG.byteSize()).set(ValueLayout.JAVA_BYTE, 0, (byte) 0); // AF_UNSPEC
            request.putU32((short) Libmnl.IFLA_EXT_MASK, Libmnl.RTEXT_FILTER_SKIP_STATS);
            socket.exchange(request, "RTM_GETLINK dump", message -> {
                if (message.type() == Libmnl.RTM_NEWLINK) {
                    links.add(parseLink(message));
                }
            });
        }
        return links;
    }

    /** The interface called {@code name}, or empty when there is none ({@code ENODEV}). */
    public Optional<Link> link(String name) throws ErrnoException {
        if (name.isEmpty() || name.length() >= Libc.IFNAMSIZ) {
            return Optional.empty();
        }
        List<Link> found = new ArrayList<>(1);
        try (Arena arena = Arena.ofConfined()) {
            NetlinkRequest request = socket.request(arena, Libmnl.RTM_GETLINK, Libmnl.NLM_F_ACK);
            request.putExtraHeader(Libmnl.IFINFOMSG.byteSize());
            request.putStrz((short) Libmnl.IFLA_IFNAME, name);
            request.putU32((short) Libmnl.IFLA_EXT_MASK, Libmnl.RTEXT_FILTER_SKIP_STATS);
            socket.exchange(request, "RTM_GETLINK " + name, message -> {
                if (message.type() == Libmnl.RTM_NEWLINK) {
                    found.add(parseLink(message));
                }
            });
        } catch (ErrnoException e) {
            if (e.errno() == Libc.ENODEV) {
                return Optional.empty();
            }
            throw e;
        }
        return found.stream().findFirst();
    }

    /**
     * The libmnl this process loaded. libmnl has no version function, so this names the file and the
     * Debian package (with its version) that installed it.
     */
    public static String libmnlVersion() {
        return Libmnl.version();
    }

    @Override
    public void close() throws ErrnoException {
        socket.close();
    }

    private static Link parseLink(NetlinkMessage message) {
        MemorySegment ifinfo = message.payload();
        int index = ifinfo.get(ValueLayout.JAVA_INT, Libmnl.IFI_INDEX);
        int type = Short.toUnsignedInt(ifinfo.get(ValueLayout.JAVA_SHORT, Libmnl.IFI_TYPE));
        int flags = ifinfo.get(ValueLayout.JAVA_INT, Libmnl.IFI_FLAGS);
        String name = "";
        int mtu = 0;
        for (NetlinkMessage.Attribute attribute : message.attributes(Libmnl.IFINFOMSG.byteSize())) {
            switch (attribute.type()) {
                case Libmnl.IFLA_IFNAME -> name = attribute.string();
                case Libmnl.IFLA_MTU -> mtu = attribute.u32();
                default -> {}
            }
        }
        return new Link(index, name, type, flags, mtu);
    }
}
