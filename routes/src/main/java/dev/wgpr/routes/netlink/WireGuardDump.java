package dev.wgpr.routes.netlink;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.wgpr.common.linux.Libc;
import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.tunnel.crypto.Key;
import dev.wgpr.tunnel.device.PeerSettings;
import dev.wgpr.tunnel.device.PeerStatus;
import java.lang.foreign.MemorySegment;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The messages of one {@code WG_CMD_GET_DEVICE} dump, merged into one {@link WireGuardDevice}. The kernel
 * splits a large device over several messages: the first carries the device's attributes, and a peer
 * whose allowed IPs did not fit continues in the next message with only its public key and the rest of
 * them. Every length is checked before it is read; what does not have the documented shape is a {@link
 * MalformedReplyException}. Attributes this version does not know (a newer kernel's) are skipped.
 */
final class WireGuardDump {
    private static final String WHAT = "WG_CMD_GET_DEVICE reply";
    private static final ValueLayoutsInOrder HOST = new ValueLayoutsInOrder(ByteOrder.nativeOrder());
    private static final ValueLayoutsInOrder NETWORK = new ValueLayoutsInOrder(ByteOrder.BIG_ENDIAN);
    private static final long MAX_EPOCH_SECOND = Instant.MAX.getEpochSecond();

    private final int family;
    private int index;
    private String name;
    private Optional<Key> privateKey = Optional.empty();
    private int listenPort;
    private long fwmark;
    private final List<Peer> peers = new ArrayList<>();
    private int messages;

    /** {@code family}: the id the kernel gave the {@code wireguard} family. */
    WireGuardDump(int family) {
        this.family = family;
    }

    void accept(NetlinkMessage message) {
        if (Short.toUnsignedInt(message.type()) != family) {
            throw new MalformedReplyException(
                    WHAT + ": message of type " + Short.toUnsignedInt(message.type()) + ", expected " + family);
        }
        MemorySegment payload = message.payload();
        if (payload.byteSize() < Libmnl.GENLMSGHDR.byteSize()) {
            throw new MalformedReplyException(WHAT + ": no room for the generic netlink header");
        }
        if (payload.get(JAVA_BYTE, 0) != Libmnl.WG_CMD_GET_DEVICE) {
            throw new MalformedReplyException(WHAT + ": command " + payload.get(JAVA_BYTE, 0));
        }
        messages++;
        for (NetlinkMessage.Attribute attribute : message.attributesStrictly(Libmnl.GENLMSGHDR.byteSize(), WHAT)) {
            switch (attribute.type()) {
                case Libmnl.WGDEVICE_A_IFINDEX -> index = u32(attribute, "WGDEVICE_A_IFINDEX");
                case Libmnl.WGDEVICE_A_IFNAME -> name = attribute.string();
                case Libmnl.WGDEVICE_A_PRIVATE_KEY -> privateKey = key(attribute, "WGDEVICE_A_PRIVATE_KEY");
                case Libmnl.WGDEVICE_A_LISTEN_PORT -> listenPort = u16(attribute, "WGDEVICE_A_LISTEN_PORT");
                case Libmnl.WGDEVICE_A_FWMARK -> fwmark = Integer.toUnsignedLong(u32(attribute, "WGDEVICE_A_FWMARK"));
                case Libmnl.WGDEVICE_A_PEERS -> {
                    for (NetlinkMessage.Attribute peer : attribute.nestedStrictly("WGDEVICE_A_PEERS")) {
                        acceptPeer(peer.nestedStrictly("a peer of WGDEVICE_A_PEERS"));
                    }
                }
                default -> {} // the public key is derived from the private one; others are a newer kernel's
            }
        }
    }

    /** The device the dump described; a dump with no message, or none naming the device, is malformed. */
    WireGuardDevice device() {
        if (messages == 0 || name == null) {
            throw new MalformedReplyException(WHAT + ": " + messages + " messages and no WGDEVICE_A_IFNAME");
        }
        return new WireGuardDevice(
                index,
                name,
                privateKey,
                listenPort,
                fwmark,
                peers.stream().map(Peer::status).toList());
    }

    private void acceptPeer(List<NetlinkMessage.Attribute> attributes) {
        Key publicKey = attributes.stream()
                .filter(a -> a.type() == Libmnl.WGPEER_A_PUBLIC_KEY)
                .findFirst()
                .map(a -> Key.fromBytes(bytes(a, Key.LENGTH, "WGPEER_A_PUBLIC_KEY")))
                .orElseThrow(() -> new MalformedReplyException(WHAT + ": a peer without WGPEER_A_PUBLIC_KEY"));
        Peer peer;
        if (!peers.isEmpty() && peers.getLast().publicKey.equals(publicKey)) {
            peer = peers.getLast(); // the kernel continues a peer's allowed IPs in the next message
        } else {
            peer = new Peer(publicKey);
            peers.add(peer);
        }
        for (NetlinkMessage.Attribute attribute : attributes) {
            switch (attribute.type()) {
                case Libmnl.WGPEER_A_PRESHARED_KEY -> peer.presharedKey = key(attribute, "WGPEER_A_PRESHARED_KEY");
                case Libmnl.WGPEER_A_ENDPOINT -> peer.endpoint = Optional.of(endpoint(attribute));
                case Libmnl.WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL ->
                    peer.keepalive = u16(attribute, "WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL");
                case Libmnl.WGPEER_A_LAST_HANDSHAKE_TIME -> peer.lastHandshake = handshake(attribute);
                case Libmnl.WGPEER_A_RX_BYTES -> peer.rxBytes = counter(attribute, "WGPEER_A_RX_BYTES");
                case Libmnl.WGPEER_A_TX_BYTES -> peer.txBytes = counter(attribute, "WGPEER_A_TX_BYTES");
                case Libmnl.WGPEER_A_ALLOWEDIPS -> {
                    for (NetlinkMessage.Attribute ip : attribute.nestedStrictly("WGPEER_A_ALLOWEDIPS")) {
                        peer.allowedIps.add(allowedIp(ip.nestedStrictly("an allowed IP of WGPEER_A_ALLOWEDIPS")));
                    }
                }
                default -> {} // public key (read above), protocol version, a newer kernel's
            }
        }
    }

    private static IpPrefix allowedIp(List<NetlinkMessage.Attribute> attributes) {
        int addressFamily = -1;
        byte[] address = null;
        int length = -1;
        for (NetlinkMessage.Attribute attribute : attributes) {
            switch (attribute.type()) {
                case Libmnl.WGALLOWEDIP_A_FAMILY -> addressFamily = u16(attribute, "WGALLOWEDIP_A_FAMILY");
                case Libmnl.WGALLOWEDIP_A_IPADDR -> address = attribute.bytes();
                case Libmnl.WGALLOWEDIP_A_CIDR_MASK ->
                    length = Byte.toUnsignedInt(
                            attribute.exactly(1, "WGALLOWEDIP_A_CIDR_MASK").get(JAVA_BYTE, 0));
                default -> {}
            }
        }
        int addressLength = switch (addressFamily) {
            case Libc.AF_INET -> 4;
            case Libc.AF_INET6 -> 16;
            default -> throw new MalformedReplyException(WHAT + ": allowed IP of family " + addressFamily);
        };
        if (address == null || address.length != addressLength) {
            throw new MalformedReplyException(WHAT + ": allowed IP of family " + addressFamily + " has "
                    + (address == null ? "no" : address.length + " bytes of") + " address");
        }
        if (length < 0 || length > addressLength * 8) {
            throw new MalformedReplyException(WHAT + ": allowed IP with prefix length " + length);
        }
        return IpPrefix.containing(inetAddress(address), length);
    }

    private static InetSocketAddress endpoint(NetlinkMessage.Attribute attribute) {
        MemorySegment sockaddr = attribute.payload();
        if (sockaddr.byteSize() < 2) {
            throw new MalformedReplyException(WHAT + ": WGPEER_A_ENDPOINT of " + sockaddr.byteSize() + " bytes");
        }
        int addressFamily = Short.toUnsignedInt(sockaddr.get(HOST.u16, 0));
        int size = switch (addressFamily) {
            case Libc.AF_INET -> Libmnl.SOCKADDR_IN_SIZE;
            case Libc.AF_INET6 -> Libmnl.SOCKADDR_IN6_SIZE;
            default -> throw new MalformedReplyException(WHAT + ": WGPEER_A_ENDPOINT of family " + addressFamily);
        };
        if (sockaddr.byteSize() < size) {
            throw new MalformedReplyException(WHAT + ": WGPEER_A_ENDPOINT of family " + addressFamily + " has "
                    + sockaddr.byteSize() + " bytes, expected " + size);
        }
        int port = Short.toUnsignedInt(sockaddr.get(NETWORK.u16, 2));
        if (addressFamily == Libc.AF_INET) {
            return new InetSocketAddress(inetAddress(sockaddr.asSlice(4, 4).toArray(JAVA_BYTE)), port);
        }
        byte[] address = sockaddr.asSlice(8, 16).toArray(JAVA_BYTE);
        int scope = sockaddr.get(HOST.u32, 24);
        try {
            return new InetSocketAddress(
                    scope == 0 ? InetAddress.getByAddress(address) : Inet6Address.getByAddress(null, address, scope),
                    port);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static Optional<Instant> handshake(NetlinkMessage.Attribute attribute) {
        MemorySegment timespec = attribute.exactly(Libmnl.KERNEL_TIMESPEC_SIZE, "WGPEER_A_LAST_HANDSHAKE_TIME");
        long seconds = timespec.get(HOST.u64, 0);
        long nanos = timespec.get(HOST.u64, 8);
        if (seconds < 0 || seconds > MAX_EPOCH_SECOND || nanos < 0 || nanos >= 1_000_000_000L) {
            throw new MalformedReplyException(
                    WHAT + ": WGPEER_A_LAST_HANDSHAKE_TIME of " + seconds + " s " + nanos + " ns");
        }
        return seconds == 0 && nanos == 0 ? Optional.empty() : Optional.of(Instant.ofEpochSecond(seconds, nanos));
    }

    private static long counter(NetlinkMessage.Attribute attribute, String what) {
        long value = attribute.exactly(8, what).get(HOST.u64, 0);
        if (value < 0) {
            throw new MalformedReplyException(WHAT + ": " + what + " beyond 2^63 bytes");
        }
        return value;
    }

    private static Optional<Key> key(NetlinkMessage.Attribute attribute, String what) {
        Key key = Key.fromBytes(bytes(attribute, Key.LENGTH, what));
        return key.isZero() ? Optional.empty() : Optional.of(key);
    }

    private static byte[] bytes(NetlinkMessage.Attribute attribute, int length, String what) {
        return attribute.exactly(length, what).toArray(JAVA_BYTE);
    }

    private static int u16(NetlinkMessage.Attribute attribute, String what) {
        return Short.toUnsignedInt(attribute.exactly(2, what).get(HOST.u16, 0));
    }

    private static int u32(NetlinkMessage.Attribute attribute, String what) {
        return attribute.exactly(4, what).get(HOST.u32, 0);
    }

    private static InetAddress inetAddress(byte[] address) {
        try {
            return InetAddress.getByAddress(address);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** Unaligned views: a payload slice need not start on its type's natural boundary. */
    private record ValueLayoutsInOrder(
            java.lang.foreign.ValueLayout.OfShort u16,
            java.lang.foreign.ValueLayout.OfInt u32,
            java.lang.foreign.ValueLayout.OfLong u64) {
        ValueLayoutsInOrder(ByteOrder order) {
            this(
                    JAVA_SHORT.withOrder(order).withByteAlignment(1),
                    JAVA_INT.withOrder(order).withByteAlignment(1),
                    JAVA_LONG.withOrder(order).withByteAlignment(1));
        }
    }

    /** One peer being assembled from the dump's messages. */
    private static final class Peer {
        final Key publicKey;
        Optional<Key> presharedKey = Optional.empty();
        Optional<InetSocketAddress> endpoint = Optional.empty();
        int keepalive;
        Optional<Instant> lastHandshake = Optional.empty();
        long rxBytes;
        long txBytes;
        final List<IpPrefix> allowedIps = new ArrayList<>();

        Peer(Key publicKey) {
            this.publicKey = publicKey;
        }

        PeerStatus status() {
            return new PeerStatus(
                    new PeerSettings(publicKey, presharedKey, endpoint, keepalive, allowedIps),
                    lastHandshake,
                    rxBytes,
                    txBytes);
        }
    }
}
