package dev.wgpr.routes.netlink;

import dev.wgpr.common.linux.Libc;
import dev.wgpr.common.net.IpPrefix;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The requests of the kernel's WireGuard generic netlink family ({@code <linux/wireguard.h>}), built with
 * libmnl. A {@code WG_CMD_SET_DEVICE} that does not fit one message is split as {@code wg(8)} splits it:
 * the device's own attributes go in the first message only, a peer whose allowed IPs overflow continues
 * in the next message with only its public key (so its flags, {@code REPLACE_ALLOWEDIPS} among them,
 * act once), and the kernel applies the messages in order.
 */
final class WireGuardMessages {
    private WireGuardMessages() {}

    /** {@code WG_CMD_GET_DEVICE} for interface {@code name}; the caller sends it as a dump. */
    static void getDevice(NetlinkRequest request, String name) {
        genericHeader(request, Libmnl.WG_CMD_GET_DEVICE);
        request.putStrz(Libmnl.WGDEVICE_A_IFNAME, name);
    }

    /** {@code set} as one or more {@code WG_CMD_SET_DEVICE} messages, each from {@code newMessage}. */
    static List<NetlinkRequest> setDevice(Supplier<NetlinkRequest> newMessage, WireGuardSet set) {
        List<NetlinkRequest> messages = new ArrayList<>();
        Cursor cursor = new Cursor();
        do {
            NetlinkRequest message = newMessage.get();
            genericHeader(message, Libmnl.WG_CMD_SET_DEVICE);
            message.putStrz(Libmnl.WGDEVICE_A_IFNAME, set.interfaceName());
            if (messages.isEmpty()) {
                putDeviceSettings(message, set);
            }
            if (cursor.peer < set.peers().size()) {
                cursor.placed = false;
                message.putNested(Libmnl.WGDEVICE_A_PEERS, peers -> putPeers(peers, set.peers(), cursor));
                if (!cursor.placed) {
                    throw new IllegalStateException("one peer's settings do not fit a netlink message");
                }
            }
            messages.add(message);
        } while (cursor.peer < set.peers().size());
        return messages;
    }

    /** Where the next message resumes: which peer, and which of its allowed IPs. */
    private static final class Cursor {
        int peer;
        int ip;
        /** Whether the message being built holds any of a peer yet. */
        boolean placed;
    }

    private static void genericHeader(NetlinkRequest request, byte command) {
        MemorySegment genl = request.putExtraHeader(Libmnl.GENLMSGHDR.byteSize());
        genl.set(ValueLayout.JAVA_BYTE, 0, command);
        genl.set(ValueLayout.JAVA_BYTE, 1, Libmnl.WG_GENL_VERSION);
    }

    private static void putDeviceSettings(NetlinkRequest message, WireGuardSet set) {
        set.privateKey().ifPresent(key -> message.putBytes(Libmnl.WGDEVICE_A_PRIVATE_KEY, key.toBytes()));
        set.listenPort().ifPresent(port -> message.putU16(Libmnl.WGDEVICE_A_LISTEN_PORT, (short) port));
        set.fwmark().ifPresent(mark -> message.putU32(Libmnl.WGDEVICE_A_FWMARK, (int) mark));
        if (set.replacePeers()) {
            message.putU32(Libmnl.WGDEVICE_A_FLAGS, Libmnl.WGDEVICE_F_REPLACE_PEERS);
        }
    }

    private static void putPeers(NetlinkRequest message, List<WireGuardSet.PeerSet> peers, Cursor cursor) {
        while (cursor.peer < peers.size()) {
            WireGuardSet.PeerSet peer = peers.get(cursor.peer);
            boolean continuing = cursor.ip > 0;
            long needed = Libmnl.NLA_HDRLEN + attributeSize(32) + (continuing ? 0 : settingsSize(peer));
            if (cursor.ip < peer.allowedIps().size()) {
                needed += Libmnl.NLA_HDRLEN + allowedIpSize(peer.allowedIps().get(cursor.ip));
            }
            if (needed > message.room()) {
                return;
            }
            cursor.placed = true;
            message.putNested((short) 0, nest -> {
                nest.putBytes(Libmnl.WGPEER_A_PUBLIC_KEY, peer.publicKey().toBytes());
                if (!continuing) {
                    putPeerSettings(nest, peer);
                }
                if (cursor.ip < peer.allowedIps().size()) {
                    nest.putNested(Libmnl.WGPEER_A_ALLOWEDIPS, ips -> putAllowedIps(ips, peer.allowedIps(), cursor));
                }
            });
            if (cursor.ip < peer.allowedIps().size()) {
                return; // full: the rest of this peer's allowed IPs go in the next message
            }
            cursor.peer++;
            cursor.ip = 0;
        }
    }

    private static void putPeerSettings(NetlinkRequest message, WireGuardSet.PeerSet peer) {
        if (peer.flags() != 0) {
            message.putU32(Libmnl.WGPEER_A_FLAGS, peer.flags());
        }
        peer.presharedKey().ifPresent(key -> message.putBytes(Libmnl.WGPEER_A_PRESHARED_KEY, key.toBytes()));
        peer.endpoint().ifPresent(endpoint -> message.putBytes(Libmnl.WGPEER_A_ENDPOINT, sockaddr(endpoint)));
        peer.persistentKeepalive()
                .ifPresent(seconds -> message.putU16(Libmnl.WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, (short) seconds));
    }

    private static void putAllowedIps(NetlinkRequest message, List<IpPrefix> allowedIps, Cursor cursor) {
        while (cursor.ip < allowedIps.size() && allowedIpSize(allowedIps.get(cursor.ip)) <= message.room()) {
            IpPrefix prefix = allowedIps.get(cursor.ip);
            message.putNested((short) 0, ip -> {
                ip.putU16(Libmnl.WGALLOWEDIP_A_FAMILY, (short) (prefix.isIpv4() ? Libc.AF_INET : Libc.AF_INET6));
                ip.putBytes(Libmnl.WGALLOWEDIP_A_IPADDR, prefix.address().getAddress());
                ip.putU8(Libmnl.WGALLOWEDIP_A_CIDR_MASK, (byte) prefix.length());
            });
            cursor.ip++;
        }
    }

    private static long settingsSize(WireGuardSet.PeerSet peer) {
        return (peer.flags() != 0 ? attributeSize(4) : 0)
                + (peer.presharedKey().isPresent() ? attributeSize(32) : 0)
                + peer.endpoint().map(e -> attributeSize(sockaddrSize(e))).orElse(0L)
                + (peer.persistentKeepalive().isPresent() ? attributeSize(2) : 0);
    }

    private static long allowedIpSize(IpPrefix prefix) {
        return Libmnl.NLA_HDRLEN + attributeSize(2) + attributeSize(prefix.isIpv4() ? 4 : 16) + attributeSize(1);
    }

    private static long attributeSize(long payload) {
        return Libmnl.align(Libmnl.NLA_HDRLEN + payload);
    }

    private static int sockaddrSize(InetSocketAddress endpoint) {
        return endpoint.getAddress() instanceof Inet6Address ? Libmnl.SOCKADDR_IN6_SIZE : Libmnl.SOCKADDR_IN_SIZE;
    }

    /** {@code struct sockaddr_in} or {@code sockaddr_in6}: family and scope id in host order, port in network order. */
    static byte[] sockaddr(InetSocketAddress endpoint) {
        ByteBuffer buffer = ByteBuffer.allocate(sockaddrSize(endpoint)).order(ByteOrder.nativeOrder());
        boolean ipv6 = endpoint.getAddress() instanceof Inet6Address;
        buffer.putShort((short) (ipv6 ? Libc.AF_INET6 : Libc.AF_INET));
        buffer.order(ByteOrder.BIG_ENDIAN).putShort((short) endpoint.getPort()).order(ByteOrder.nativeOrder());
        if (ipv6) {
            buffer.putInt(0); // flow info
            buffer.put(endpoint.getAddress().getAddress());
            buffer.putInt(((Inet6Address) endpoint.getAddress()).getScopeId());
        } else {
            buffer.put(endpoint.getAddress().getAddress());
        }
        return buffer.array();
    }
}
