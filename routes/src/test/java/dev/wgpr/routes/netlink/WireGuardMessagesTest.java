package dev.wgpr.routes.netlink;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.tunnel.crypto.Key;
import java.lang.foreign.Arena;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** WG_CMD_SET_DEVICE as the kernel's policy reads it, read back from the bytes libmnl wrote. */
class WireGuardMessagesTest {
    private static final short FAMILY = 0x1b;
    private static final Key PRIVATE = Key.generatePrivate();
    private static final Key PEER = Key.generatePrivate().publicKey();
    private static final Key PSK = Key.generatePreshared();

    @Test
    void oneMessageCarriesTheDeviceAndItsPeerInTheKernelsAttributeLayout() throws Exception {
        var peer = new WireGuardSet.PeerSet(
                PEER,
                Libmnl.WGPEER_F_REPLACE_ALLOWEDIPS,
                Optional.of(PSK),
                Optional.of(new InetSocketAddress(InetAddress.getByName("192.0.2.7"), 51820)),
                OptionalInt.of(25),
                List.of(IpPrefix.parse("10.8.0.0/24"), IpPrefix.parse("fd00::/64")));
        var set = new WireGuardSet(
                "wgt0", Optional.of(PRIVATE), OptionalInt.of(51000), OptionalLong.of(0xcafe), true, List.of(peer));
        try (Arena arena = Arena.ofConfined()) {
            List<NetlinkRequest> messages = WireGuardMessages.setDevice(() -> request(arena), set);
            assertEquals(1, messages.size());
            NetlinkMessage message = new NetlinkMessage(messages.getFirst().segment());
            assertEquals(FAMILY, message.type());
            assertEquals(Libmnl.WG_CMD_SET_DEVICE, message.payload().get(JAVA_BYTE, 0));
            assertEquals(Libmnl.WG_GENL_VERSION, message.payload().get(JAVA_BYTE, 1));
            Map<Integer, NetlinkMessage.Attribute> device = byType(message.attributesStrictly(4, "test"));
            assertEquals("wgt0", device.get((int) Libmnl.WGDEVICE_A_IFNAME).string());
            assertArrayEquals(
                    PRIVATE.toBytes(),
                    device.get((int) Libmnl.WGDEVICE_A_PRIVATE_KEY).bytes());
            assertEquals(51000, device.get((int) Libmnl.WGDEVICE_A_LISTEN_PORT).u16());
            assertEquals(0xcafe, device.get((int) Libmnl.WGDEVICE_A_FWMARK).u32());
            assertEquals(
                    Libmnl.WGDEVICE_F_REPLACE_PEERS,
                    device.get((int) Libmnl.WGDEVICE_A_FLAGS).u32());
            NetlinkMessage.Attribute peers = device.get((int) Libmnl.WGDEVICE_A_PEERS);
            assertTrue(peers.nested(), "WGDEVICE_A_PEERS carries NLA_F_NESTED");
            List<NetlinkMessage.Attribute> peerList = peers.nestedStrictly("peers");
            assertEquals(1, peerList.size());
            assertTrue(peerList.getFirst().nested(), "a peer carries NLA_F_NESTED");
            Map<Integer, NetlinkMessage.Attribute> p =
                    byType(peerList.getFirst().nestedStrictly("peer"));
            assertArrayEquals(
                    PEER.toBytes(), p.get((int) Libmnl.WGPEER_A_PUBLIC_KEY).bytes());
            assertEquals(
                    Libmnl.WGPEER_F_REPLACE_ALLOWEDIPS,
                    p.get((int) Libmnl.WGPEER_A_FLAGS).u32());
            assertArrayEquals(
                    PSK.toBytes(), p.get((int) Libmnl.WGPEER_A_PRESHARED_KEY).bytes());
            assertEquals(
                    25,
                    p.get((int) Libmnl.WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL).u16());
            byte[] sockaddr = p.get((int) Libmnl.WGPEER_A_ENDPOINT).bytes();
            assertEquals(16, sockaddr.length, "struct sockaddr_in");
            ByteBuffer in = ByteBuffer.wrap(sockaddr).order(ByteOrder.nativeOrder());
            assertEquals(2, in.getShort(0), "AF_INET in host order");
            assertEquals(
                    51820, Short.toUnsignedInt(in.order(ByteOrder.BIG_ENDIAN).getShort(2)), "port in network order");
            assertArrayEquals(new byte[] {(byte) 192, 0, 2, 7}, java.util.Arrays.copyOfRange(sockaddr, 4, 8));
            NetlinkMessage.Attribute ips = p.get((int) Libmnl.WGPEER_A_ALLOWEDIPS);
            assertTrue(ips.nested(), "WGPEER_A_ALLOWEDIPS carries NLA_F_NESTED");
            List<IpPrefix> prefixes = new ArrayList<>();
            for (NetlinkMessage.Attribute ip : ips.nestedStrictly("ips")) {
                assertTrue(ip.nested(), "an allowed IP carries NLA_F_NESTED");
                Map<Integer, NetlinkMessage.Attribute> a = byType(ip.nestedStrictly("ip"));
                int family = a.get((int) Libmnl.WGALLOWEDIP_A_FAMILY).u16();
                byte[] address = a.get((int) Libmnl.WGALLOWEDIP_A_IPADDR).bytes();
                assertEquals(family == 2 ? 4 : 16, address.length);
                assertEquals(1, a.get((int) Libmnl.WGALLOWEDIP_A_CIDR_MASK).bytes().length, "the mask is a u8");
                prefixes.add(new IpPrefix(
                        InetAddress.getByAddress(address),
                        a.get((int) Libmnl.WGALLOWEDIP_A_CIDR_MASK).bytes()[0]));
            }
            assertEquals(peer.allowedIps(), prefixes);
        }
    }

    @Test
    void aRemovedPeerIsItsKeyAndRemoveMeAlone() {
        var set = new WireGuardSet(
                "wgt0",
                Optional.empty(),
                OptionalInt.empty(),
                OptionalLong.empty(),
                false,
                List.of(WireGuardSet.PeerSet.remove(PEER)));
        try (Arena arena = Arena.ofConfined()) {
            NetlinkMessage message = new NetlinkMessage(WireGuardMessages.setDevice(() -> request(arena), set)
                    .getFirst()
                    .segment());
            Map<Integer, NetlinkMessage.Attribute> device = byType(message.attributesStrictly(4, "test"));
            assertEquals(
                    List.of((int) Libmnl.WGDEVICE_A_IFNAME, (int) Libmnl.WGDEVICE_A_PEERS),
                    List.copyOf(device.keySet()),
                    "no device setting that was not asked for");
            Map<Integer, NetlinkMessage.Attribute> p = byType(device.get((int) Libmnl.WGDEVICE_A_PEERS)
                    .nestedStrictly("peers")
                    .getFirst()
                    .nestedStrictly("peer"));
            assertEquals(
                    List.of((int) Libmnl.WGPEER_A_PUBLIC_KEY, (int) Libmnl.WGPEER_A_FLAGS), List.copyOf(p.keySet()));
            assertEquals(
                    Libmnl.WGPEER_F_REMOVE_ME,
                    p.get((int) Libmnl.WGPEER_A_FLAGS).u32());
        }
    }

    @Test
    void anUpdateOnlyPeerCarriesItsFlag() {
        var peer = new WireGuardSet.PeerSet(
                PEER, Libmnl.WGPEER_F_UPDATE_ONLY, Optional.empty(), Optional.empty(), OptionalInt.of(0), List.of());
        var set = new WireGuardSet(
                "wgt0", Optional.empty(), OptionalInt.empty(), OptionalLong.empty(), false, List.of(peer));
        try (Arena arena = Arena.ofConfined()) {
            List<SentPeer> sent = peersOf(WireGuardMessages.setDevice(() -> request(arena), set));
            assertEquals(1, sent.size());
            assertEquals(Libmnl.WGPEER_F_UPDATE_ONLY, sent.getFirst().flags());
        }
    }

    @Test
    void largeAllowedIpSetsAreSplitOverMessagesAsWgDoes() throws Exception {
        List<IpPrefix> many = IntStream.range(0, 700)
                .mapToObj(i -> IpPrefix.parse("10." + (i / 256) + "." + (i % 256) + ".0/24"))
                .toList();
        List<IpPrefix> many6 = IntStream.range(0, 150)
                .mapToObj(i -> IpPrefix.parse("fd00:" + Integer.toHexString(i) + "::/64"))
                .toList();
        List<IpPrefix> first = new ArrayList<>(many);
        first.addAll(many6);
        Key second = Key.generatePrivate().publicKey();
        Key third = Key.generatePrivate().publicKey();
        var set = new WireGuardSet(
                "wgt0",
                Optional.of(PRIVATE),
                OptionalInt.empty(),
                OptionalLong.of(0),
                true,
                List.of(
                        new WireGuardSet.PeerSet(
                                PEER,
                                Libmnl.WGPEER_F_REPLACE_ALLOWEDIPS,
                                Optional.of(PSK),
                                Optional.of(new InetSocketAddress(InetAddress.getByName("2001:db8::1"), 443)),
                                OptionalInt.of(0),
                                first),
                        new WireGuardSet.PeerSet(
                                second,
                                Libmnl.WGPEER_F_REPLACE_ALLOWEDIPS,
                                Optional.empty(),
                                Optional.empty(),
                                OptionalInt.empty(),
                                List.of(IpPrefix.parse("172.16.0.0/12"))),
                        WireGuardSet.PeerSet.remove(third)));
        try (Arena arena = Arena.ofConfined()) {
            List<NetlinkRequest> messages = WireGuardMessages.setDevice(() -> request(arena), set);
            assertTrue(messages.size() >= 7, "850 allowed IPs need several 4 KiB messages: " + messages.size());
            for (int i = 0; i < messages.size(); i++) {
                NetlinkRequest message = messages.get(i);
                assertTrue(message.length() <= NetlinkRequest.CAPACITY, "message " + i + " fits");
                Map<Integer, NetlinkMessage.Attribute> device =
                        byType(new NetlinkMessage(message.segment()).attributesStrictly(4, "test"));
                assertEquals(
                        "wgt0", device.get((int) Libmnl.WGDEVICE_A_IFNAME).string(), "every message names the device");
                assertEquals(
                        i == 0,
                        device.containsKey((int) Libmnl.WGDEVICE_A_PRIVATE_KEY)
                                && device.containsKey((int) Libmnl.WGDEVICE_A_FLAGS),
                        "the device's settings and REPLACE_PEERS go in the first message only: message " + i);
                if (i < messages.size() - 2) {
                    assertTrue(message.length() > NetlinkRequest.CAPACITY - 64, "message " + i + " is filled");
                }
            }
            List<SentPeer> sent = peersOf(messages);
            // Continuations carry the public key and allowed IPs only, so REPLACE_ALLOWEDIPS acts once.
            List<SentPeer> ofFirst =
                    sent.stream().filter(p -> p.key().equals(PEER)).toList();
            assertTrue(ofFirst.size() >= 7);
            assertEquals(Libmnl.WGPEER_F_REPLACE_ALLOWEDIPS, ofFirst.getFirst().flags());
            assertTrue(ofFirst.getFirst().hasSettings());
            ofFirst.subList(1, ofFirst.size()).forEach(p -> {
                assertEquals(0, p.flags());
                assertFalse(p.hasSettings(), "a continuation repeats no setting");
            });
            assertEquals(
                    first,
                    ofFirst.stream().flatMap(p -> p.allowedIps().stream()).toList(),
                    "every IP once, in order");
            assertEquals(
                    List.of(PEER, second, third),
                    sent.stream().map(SentPeer::key).distinct().toList());
            assertEquals(
                    Libmnl.WGPEER_F_REMOVE_ME,
                    sent.stream()
                            .filter(p -> p.key().equals(third))
                            .findFirst()
                            .orElseThrow()
                            .flags());
        }
    }

    @Test
    void anIpv6EndpointIsASockaddrIn6WithItsScope() throws Exception {
        var endpoint = new InetSocketAddress(
                java.net.Inet6Address.getByAddress(
                        null, InetAddress.getByName("fe80::1").getAddress(), 3),
                7);
        ByteBuffer sockaddr =
                ByteBuffer.wrap(WireGuardMessages.sockaddr(endpoint)).order(ByteOrder.nativeOrder());
        assertEquals(28, sockaddr.capacity());
        assertEquals(10, sockaddr.getShort(0), "AF_INET6");
        assertEquals(7, sockaddr.order(ByteOrder.BIG_ENDIAN).getShort(2));
        assertEquals(0, sockaddr.getInt(4), "flow info");
        assertEquals((byte) 0xfe, sockaddr.get(8));
        assertEquals(3, sockaddr.order(ByteOrder.nativeOrder()).getInt(24), "scope id");
    }

    static NetlinkRequest request(Arena arena) {
        return new NetlinkRequest(arena, FAMILY, (short) (Libmnl.NLM_F_REQUEST | Libmnl.NLM_F_ACK));
    }

    static Map<Integer, NetlinkMessage.Attribute> byType(List<NetlinkMessage.Attribute> attributes) {
        Map<Integer, NetlinkMessage.Attribute> map = new java.util.LinkedHashMap<>();
        for (NetlinkMessage.Attribute a : attributes) {
            assertFalse(map.containsKey(a.type()), "attribute " + a.type() + " once");
            map.put(a.type(), a);
        }
        return map;
    }

    /** One peer chunk as a message carries it. */
    record SentPeer(Key key, int flags, boolean hasSettings, List<IpPrefix> allowedIps) {}

    static List<SentPeer> peersOf(List<NetlinkRequest> messages) {
        List<SentPeer> peers = new ArrayList<>();
        for (NetlinkRequest request : messages) {
            var device = byType(new NetlinkMessage(request.segment()).attributesStrictly(4, "test"));
            for (var peer : device.get((int) Libmnl.WGDEVICE_A_PEERS).nestedStrictly("peers")) {
                var p = byType(peer.nestedStrictly("peer"));
                List<IpPrefix> ips = new ArrayList<>();
                if (p.containsKey((int) Libmnl.WGPEER_A_ALLOWEDIPS)) {
                    for (var ip : p.get((int) Libmnl.WGPEER_A_ALLOWEDIPS).nestedStrictly("ips")) {
                        var a = byType(ip.nestedStrictly("ip"));
                        try {
                            ips.add(new IpPrefix(
                                    InetAddress.getByAddress(a.get((int) Libmnl.WGALLOWEDIP_A_IPADDR)
                                            .bytes()),
                                    a.get((int) Libmnl.WGALLOWEDIP_A_CIDR_MASK).bytes()[0]));
                        } catch (java.net.UnknownHostException e) {
                            throw new AssertionError(e);
                        }
                    }
                }
                peers.add(new SentPeer(
                        Key.fromBytes(p.get((int) Libmnl.WGPEER_A_PUBLIC_KEY).bytes()),
                        p.containsKey((int) Libmnl.WGPEER_A_FLAGS)
                                ? p.get((int) Libmnl.WGPEER_A_FLAGS).u32()
                                : 0,
                        p.containsKey((int) Libmnl.WGPEER_A_PRESHARED_KEY)
                                || p.containsKey((int) Libmnl.WGPEER_A_ENDPOINT)
                                || p.containsKey((int) Libmnl.WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL),
                        ips));
            }
        }
        return peers;
    }
}
