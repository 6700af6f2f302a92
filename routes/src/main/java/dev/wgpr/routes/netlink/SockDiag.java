package dev.wgpr.routes.netlink;

import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * sock_diag ({@code NETLINK_SOCK_DIAG}) through libmnl: listing the TCP and UDP sockets of the network
 * namespace the calling thread was in at {@link #open()}, filtered in the kernel by cgroup, and
 * destroying one ({@code SOCK_DESTROY}, {@code CONFIG_INET_DIAG_DESTROY}): the kernel aborts it with
 * {@code ECONNABORTED} (a TCP connection sends a RST; a UDP socket is disconnected). Both need {@code
 * CAP_NET_ADMIN} in that namespace's user namespace; a dump of one's own sockets does not.
 */
public final class SockDiag implements AutoCloseable {
    /** TCP states ({@code include/net/tcp_states.h}); UDP sockets use ESTABLISHED for "connected". */
    public static final int TCP_ESTABLISHED = 1;

    public static final int TCP_SYN_SENT = 2;
    public static final int TCP_SYN_RECV = 3;
    public static final int TCP_FIN_WAIT1 = 4;
    public static final int TCP_FIN_WAIT2 = 5;
    public static final int TCP_TIME_WAIT = 6;
    public static final int TCP_CLOSE = 7;
    public static final int TCP_CLOSE_WAIT = 8;
    public static final int TCP_LAST_ACK = 9;
    public static final int TCP_LISTEN = 10;
    public static final int TCP_CLOSING = 11;

    /**
     * Cgroup ids per dump request. Each costs 16 bytes of filter bytecode (a condition and a jump),
     * and a request must fit {@link NetlinkRequest#CAPACITY}; more ids are split over several dumps.
     */
    static final int CGROUPS_PER_DUMP = 200;

    private static final ValueLayout.OfShort PORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final long ID = Libmnl.INET_DIAG_REQ_V2.byteOffset(MemoryLayout.PathElement.groupElement("id"));
    private static final long MSG_ID = Libmnl.INET_DIAG_MSG.byteOffset(MemoryLayout.PathElement.groupElement("id"));
    private static final long MSG_UID =
            Libmnl.INET_DIAG_MSG.byteOffset(MemoryLayout.PathElement.groupElement("idiag_uid"));
    private static final long MSG_INODE =
            Libmnl.INET_DIAG_MSG.byteOffset(MemoryLayout.PathElement.groupElement("idiag_inode"));
    private static final int SOCKID_SIZE = (int) Libmnl.INET_DIAG_SOCKID.byteSize();

    /** The transport protocols sock_diag can list and destroy here. */
    public enum Transport {
        TCP(6),
        UDP(17);

        private final int protocol;

        Transport(int protocol) {
            this.protocol = protocol;
        }

        /** The IP protocol number ({@code IPPROTO_TCP}, {@code IPPROTO_UDP}). */
        public int protocol() {
            return protocol;
        }
    }

    /**
     * One socket as the kernel listed it. Its identity (addresses, ports, interface and the kernel's
     * socket cookie) is kept as the kernel sent it, so {@link #destroy} names exactly this socket: a
     * socket closed meanwhile, or another one reusing the same addresses, is not touched ({@code
     * ENOENT}).
     */
    public static final class InetSocket {
        private final Transport transport;
        private final int family;
        private final int state;
        private final InetSocketAddress local;
        private final InetSocketAddress remote;
        private final long cgroupId;
        private final int uid;
        private final long inode;
        private final byte[] id;

        InetSocket(
                Transport transport,
                int family,
                int state,
                InetSocketAddress local,
                InetSocketAddress remote,
                long cgroupId,
                int uid,
                long inode,
                byte[] id) {
            this.transport = transport;
            this.family = family;
            this.state = state;
            this.local = local;
            this.remote = remote;
            this.cgroupId = cgroupId;
            this.uid = uid;
            this.inode = inode;
            this.id = id.clone();
        }

        public Transport transport() {
            return transport;
        }

        /** {@link Libc#AF_INET} or {@link Libc#AF_INET6} (an AF_INET6 socket may talk IPv4-mapped). */
        public int family() {
            return family;
        }

        /** The TCP state ({@link #TCP_ESTABLISHED} ...); a connected UDP socket is ESTABLISHED. */
        public int state() {
            return state;
        }

        public InetSocketAddress local() {
            return local;
        }

        /** The peer: where the socket sends (the unspecified address when a UDP socket is unconnected). */
        public InetSocketAddress remote() {
            return remote;
        }

        /** The cgroup v2 id of the socket: the cgroup of the process that created it, at creation. */
        public long cgroupId() {
            return cgroupId;
        }

        public int uid() {
            return uid;
        }

        /** The socket's inode ({@code socket:[N]} in {@code /proc/PID/fd}); 0 for sockets without a file. */
        public long inode() {
            return inode;
        }

        /** The kernel's socket cookie ({@code SO_COOKIE}), unique for the life of the namespace. */
        public long cookie() {
            ByteBuffer cookie = ByteBuffer.wrap(id, SOCKID_SIZE - 8, 8).order(ByteOrder.nativeOrder());
            long low = Integer.toUnsignedLong(cookie.getInt());
            long high = Integer.toUnsignedLong(cookie.getInt());
            return high << 32 | low;
        }

        @Override
        public String toString() {
            return transport.name().toLowerCase(Locale.ROOT) + (family == Libc.AF_INET6 ? "6" : "4") + " "
                    + text(local) + " -> " + text(remote) + " state " + state + " cgroup " + cgroupId + " cookie "
                    + cookie();
        }

        private static String text(InetSocketAddress address) {
            String host = address.getAddress().getHostAddress();
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
        }
    }

    private final NetlinkSocket socket;

    private SockDiag(NetlinkSocket socket) {
        this.socket = socket;
    }

    /** A sock_diag socket in the network namespace of the calling thread. */
    public static SockDiag open() throws ErrnoException {
        return new SockDiag(NetlinkSocket.open(Libmnl.NETLINK_SOCK_DIAG, "sock_diag"));
    }

    /** A bit mask of {@code states} for {@link #dump}. */
    public static int states(int... states) {
        int mask = 0;
        for (int state : states) {
            if (state < 0 || state > 31) {
                throw new IllegalArgumentException("no socket state " + state);
            }
            mask |= 1 << state;
        }
        return mask;
    }

    /**
     * The {@code transport} sockets of {@code family} in one of {@code stateMask}'s states whose cgroup
     * id is one of {@code cgroupIds}, selected by the kernel (inet_diag bytecode, {@code
     * INET_DIAG_BC_CGROUP_COND}, 5.7+): sockets of other cgroups are never copied out. The cgroup is
     * compared exactly; pass the ids of descendant cgroups too. No ids, no sockets.
     */
    public List<InetSocket> dump(Transport transport, int family, int stateMask, Collection<Long> cgroupIds)
            throws ErrnoException {
        Objects.requireNonNull(transport, "transport");
        requireFamily(family);
        List<Long> ids = List.copyOf(cgroupIds);
        List<InetSocket> sockets = new ArrayList<>();
        for (int from = 0; from < ids.size(); from += CGROUPS_PER_DUMP) {
            List<Long> chunk = ids.subList(from, Math.min(ids.size(), from + CGROUPS_PER_DUMP));
            dump(transport, family, stateMask, cgroupFilter(chunk), sockets);
        }
        return sockets;
    }

    /** Every {@code transport} socket of {@code family} in one of {@code stateMask}'s states, of any cgroup. */
    public List<InetSocket> dumpAll(Transport transport, int family, int stateMask) throws ErrnoException {
        Objects.requireNonNull(transport, "transport");
        requireFamily(family);
        List<InetSocket> sockets = new ArrayList<>();
        dump(transport, family, stateMask, null, sockets);
        return sockets;
    }

    /**
     * {@code SOCK_DESTROY}: aborts {@code target}. Throws with {@code ENOENT} when that socket is gone
     * (closed meanwhile: nothing to do), {@code EOPNOTSUPP} when the kernel cannot destroy this kind of
     * socket, {@code EPERM} without {@code CAP_NET_ADMIN}.
     */
    public void destroy(InetSocket target) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            NetlinkRequest request = socket.request(arena, Libmnl.SOCK_DESTROY, Libmnl.NLM_F_ACK);
            MemorySegment req = request.putExtraHeader(Libmnl.INET_DIAG_REQ_V2.byteSize());
            req.set(ValueLayout.JAVA_BYTE, 0, (byte) target.family);
            req.set(ValueLayout.JAVA_BYTE, 1, (byte) target.transport.protocol());
            req.set(ValueLayout.JAVA_INT, 4, 1 << target.state);
            MemorySegment.copy(target.id, 0, req, ValueLayout.JAVA_BYTE, ID, SOCKID_SIZE);
            socket.exchange(request, "SOCK_DESTROY " + target, message -> {});
        }
    }

    private void dump(Transport transport, int family, int stateMask, byte[] bytecode, List<InetSocket> into)
            throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            NetlinkRequest request = socket.request(arena, Libmnl.SOCK_DIAG_BY_FAMILY, Libmnl.NLM_F_DUMP);
            MemorySegment req = request.putExtraHeader(Libmnl.INET_DIAG_REQ_V2.byteSize());
            req.set(ValueLayout.JAVA_BYTE, 0, (byte) family);
            req.set(ValueLayout.JAVA_BYTE, 1, (byte) transport.protocol());
            req.set(ValueLayout.JAVA_INT, 4, stateMask);
            if (bytecode != null) {
                request.putBytes(Libmnl.INET_DIAG_REQ_BYTECODE, bytecode);
            }
            String what = "sock_diag dump " + transport + (family == Libc.AF_INET6 ? "6" : "4");
            socket.exchange(request, what, message -> {
                if (message.type() == Libmnl.SOCK_DIAG_BY_FAMILY) {
                    into.add(parse(transport, message));
                }
            });
        }
    }

    /**
     * inet_diag bytecode accepting a socket whose cgroup is one of {@code ids}: for each id a {@code
     * CGROUP_COND} (on a match fall through to the next op, else skip 16 bytes to the next condition)
     * followed by a {@code JMP} to the end (accept). The last condition has no jump: a match falls
     * onto the end (accept), a miss jumps 4 bytes past it (reject). The kernel's audit follows the
     * "yes" chain, so every op must lie on it; that is why the jumps are ops of their own (as ss
     * compiles "or").
     */
    static byte[] cgroupFilter(List<Long> ids) {
        int condition = Libmnl.INET_DIAG_BC_OP_SIZE + 8;
        int jump = Libmnl.INET_DIAG_BC_OP_SIZE;
        int length = ids.size() * (condition + jump) - jump;
        ByteBuffer code = ByteBuffer.allocate(Math.max(0, length)).order(ByteOrder.nativeOrder());
        for (int i = 0; i < ids.size(); i++) {
            boolean last = i == ids.size() - 1;
            code.put(Libmnl.INET_DIAG_BC_CGROUP_COND)
                    .put((byte) condition)
                    .putShort((short) (condition + jump))
                    .putLong(ids.get(i));
            if (!last) {
                int toEnd = length - code.position();
                code.put(Libmnl.INET_DIAG_BC_JMP).put((byte) jump).putShort((short) toEnd);
            }
        }
        if (length > 0xffff - Libmnl.NLA_HDRLEN) {
            throw new IllegalArgumentException("too many cgroups for one filter: " + ids.size());
        }
        return code.array();
    }

    private static InetSocket parse(Transport transport, NetlinkMessage message) {
        MemorySegment payload = message.payload();
        int family = Byte.toUnsignedInt(payload.get(ValueLayout.JAVA_BYTE, 0));
        int state = Byte.toUnsignedInt(payload.get(ValueLayout.JAVA_BYTE, 1));
        byte[] id = payload.asSlice(MSG_ID, SOCKID_SIZE).toArray(ValueLayout.JAVA_BYTE);
        int sport = Short.toUnsignedInt(payload.get(PORT, MSG_ID));
        int dport = Short.toUnsignedInt(payload.get(PORT, MSG_ID + 2));
        int addressLength = family == Libc.AF_INET ? 4 : 16;
        InetAddress src = address(Arrays.copyOfRange(id, 4, 4 + addressLength));
        InetAddress dst = address(Arrays.copyOfRange(id, 20, 20 + addressLength));
        int uid = payload.get(ValueLayout.JAVA_INT, MSG_UID);
        long inode = Integer.toUnsignedLong(payload.get(ValueLayout.JAVA_INT, MSG_INODE));
        long cgroupId = 0;
        for (NetlinkMessage.Attribute attribute : message.attributes(Libmnl.INET_DIAG_MSG.byteSize())) {
            if (attribute.type() == Libmnl.INET_DIAG_CGROUP_ID
                    && attribute.payload().byteSize() >= 8) {
                cgroupId = attribute.payload().get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
            }
        }
        return new InetSocket(
                transport,
                family,
                state,
                new InetSocketAddress(src, sport),
                new InetSocketAddress(dst, dport),
                cgroupId,
                uid,
                inode,
                id);
    }

    /** Keeps IPv4-mapped IPv6 addresses as they are (16 bytes): InetAddress would turn them into IPv4. */
    private static InetAddress address(byte[] bytes) {
        try {
            if (bytes.length == 16) {
                return Inet6Address.getByAddress(null, bytes, -1);
            }
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static void requireFamily(int family) {
        if (family != Libc.AF_INET && family != Libc.AF_INET6) {
            throw new IllegalArgumentException("sock_diag family must be AF_INET or AF_INET6, got " + family);
        }
    }

    @Override
    public void close() throws ErrnoException {
        socket.close();
    }
}
