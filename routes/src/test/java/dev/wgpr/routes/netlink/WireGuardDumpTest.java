package dev.wgpr.routes.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.tunnel.crypto.Key;
import dev.wgpr.tunnel.device.PeerStatus;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * WG_CMD_GET_DEVICE replies laid out as the kernel's wg_get_device_dump writes them (the device's
 * attributes in the first message, a peer's allowed IPs continued in the next), merged into one device;
 * and the parser against broken and randomly mutated replies.
 */
class WireGuardDumpTest {
    private static final short FAMILY = 0x1b;
    private static final Key PRIVATE = Key.generatePrivate();
    private static final Key FIRST = Key.generatePrivate().publicKey();
    private static final Key SECOND = Key.generatePrivate().publicKey();
    private static final Key PSK = Key.generatePreshared();

    @Test
    void aDumpSplitOverMessagesMergesIntoOneDevice() throws Exception {
        WireGuardDevice device = parse(kernelDump());
        assertEquals(7, device.index());
        assertEquals("wgt0", device.name());
        assertEquals(Optional.of(PRIVATE.clamped()), device.privateKey().map(Key::clamped));
        assertEquals(51820, device.listenPort());
        assertEquals(0xffff_fffeL, device.fwmark(), "fwmark is unsigned");
        assertEquals(2, device.peers().size(), "the continued peer is one peer");
        PeerStatus first = device.peers().getFirst();
        assertEquals(FIRST, first.publicKey());
        assertEquals(Optional.of(PSK), first.settings().presharedKey());
        assertEquals(
                Optional.of(new InetSocketAddress(InetAddress.getByName("192.0.2.1"), 51821)),
                first.settings().endpoint());
        assertEquals(25, first.settings().persistentKeepaliveSeconds());
        assertEquals(Optional.of(Instant.ofEpochSecond(1_700_000_000L, 123)), first.lastHandshake());
        assertEquals(1234, first.rxBytes());
        assertEquals(5678, first.txBytes());
        assertEquals(
                List.of(IpPrefix.parse("10.0.0.0/8"), IpPrefix.parse("fd00::/8"), IpPrefix.parse("192.168.7.0/24")),
                first.settings().allowedIps());
        PeerStatus second = device.peers().get(1);
        assertEquals(SECOND, second.publicKey());
        assertEquals(Optional.empty(), second.settings().presharedKey(), "an all-zero PSK is none");
        assertEquals(Optional.empty(), second.lastHandshake(), "a zero timespec is no handshake yet");
        assertEquals(
                Optional.of(new InetSocketAddress(InetAddress.getByName("2001:db8::2"), 443)),
                second.settings().endpoint());
    }

    @Test
    void attributesOfANewerKernelAreSkipped() {
        List<byte[]> dump = List.of(message(m -> {
            m.putU32((short) 99, 1);
            m.putStrz(Libmnl.WGDEVICE_A_IFNAME, "wgt0");
            m.putNested(
                    Libmnl.WGDEVICE_A_PEERS,
                    peers -> peers.putNested((short) 0, p -> {
                        p.putBytes(Libmnl.WGPEER_A_PUBLIC_KEY, FIRST.toBytes());
                        p.putU32((short) 77, 5);
                        p.putU32(Libmnl.WGPEER_A_PROTOCOL_VERSION, 1);
                        p.putNested(
                                Libmnl.WGPEER_A_ALLOWEDIPS,
                                ips -> ips.putNested((short) 0, ip -> {
                                    ip.putU16(Libmnl.WGALLOWEDIP_A_FAMILY, (short) 2);
                                    ip.putBytes(Libmnl.WGALLOWEDIP_A_IPADDR, new byte[] {10, 1, 0, 0});
                                    ip.putU8(Libmnl.WGALLOWEDIP_A_CIDR_MASK, (byte) 16);
                                    ip.putU32((short) 4, 0); // WGALLOWEDIP_A_FLAGS, which 6.1 does not have
                                }));
                    }));
        }));
        WireGuardDevice device = parse(dump);
        assertEquals(
                List.of(IpPrefix.parse("10.1.0.0/16")),
                device.peers().getFirst().settings().allowedIps());
    }

    @Test
    void anAttributeRunningPastItsMessageIsMalformed() {
        byte[] reply = kernelDump().getFirst();
        // The IFINDEX attribute right after the generic header now claims 200 bytes.
        ByteBuffer.wrap(reply).order(ByteOrder.nativeOrder()).putShort(20, (short) 2000);
        var e = assertThrows(MalformedReplyException.class, () -> parse(List.of(reply)));
        assertTrue(e.getMessage().contains("claims 2000 bytes"), e.getMessage());
    }

    @Test
    void aKeyOfTheWrongLengthIsMalformed() {
        var e = assertThrows(
                MalformedReplyException.class,
                () -> parse(List.of(message(m -> m.putBytes(Libmnl.WGDEVICE_A_PRIVATE_KEY, new byte[31])))));
        assertTrue(e.getMessage().contains("WGDEVICE_A_PRIVATE_KEY has 31 bytes"), e.getMessage());
    }

    @Test
    void aPeerWithoutAPublicKeyIsMalformed() {
        var e = assertThrows(
                MalformedReplyException.class,
                () -> parse(List.of(message(m -> m.putNested(
                        Libmnl.WGDEVICE_A_PEERS,
                        peers -> peers.putNested((short) 0, p -> p.putU64(Libmnl.WGPEER_A_RX_BYTES, 1)))))));
        assertTrue(e.getMessage().contains("without WGPEER_A_PUBLIC_KEY"), e.getMessage());
    }

    @Test
    void anAllowedIpWhoseAddressDoesNotMatchItsFamilyIsMalformed() {
        var e = assertThrows(
                MalformedReplyException.class,
                () -> parse(List.of(message(m -> m.putNested(
                        Libmnl.WGDEVICE_A_PEERS,
                        peers -> peers.putNested((short) 0, p -> {
                            p.putBytes(Libmnl.WGPEER_A_PUBLIC_KEY, FIRST.toBytes());
                            p.putNested(
                                    Libmnl.WGPEER_A_ALLOWEDIPS,
                                    ips -> ips.putNested((short) 0, ip -> {
                                        ip.putU16(Libmnl.WGALLOWEDIP_A_FAMILY, (short) 10);
                                        ip.putBytes(Libmnl.WGALLOWEDIP_A_IPADDR, new byte[4]);
                                        ip.putU8(Libmnl.WGALLOWEDIP_A_CIDR_MASK, (byte) 8);
                                    }));
                        }))))));
        assertTrue(e.getMessage().contains("family 10 has 4 bytes"), e.getMessage());
    }

    @Test
    void aReplyOfAnotherCommandIsMalformed() {
        byte[] reply = kernelDump().getFirst();
        reply[16] = Libmnl.WG_CMD_SET_DEVICE;
        assertThrows(MalformedReplyException.class, () -> parse(List.of(reply)));
    }

    /**
     * Mutated real-shaped replies: flipped bytes, overwritten lengths, cut messages. Each either parses
     * or fails with a MalformedReplyException; nothing reads out of bounds or fails any other way.
     */
    @Test
    void mutatedRepliesParseOrFailAsMalformedNeverOutOfBounds() {
        List<byte[]> original = kernelDump();
        Random random = new Random(0x5eed_16L);
        int parsed = 0;
        int malformed = 0;
        for (int round = 0; round < 20_000; round++) {
            List<byte[]> mutated = new ArrayList<>();
            for (byte[] message : original) {
                mutated.add(mutate(message, random));
            }
            try {
                parse(mutated);
                parsed++;
            } catch (MalformedReplyException expected) {
                malformed++;
            } catch (RuntimeException | Error e) {
                fail("round " + round + ": " + e, e);
            }
        }
        assertTrue(parsed > 100 && malformed > 100, "both outcomes exercised: " + parsed + " / " + malformed);
    }

    private static byte[] mutate(byte[] message, Random random) {
        byte[] bytes = message.clone();
        switch (random.nextInt(4)) {
            case 0 -> { // a few random bytes after the netlink header
                for (int i = random.nextInt(1, 4); i > 0; i--) {
                    bytes[16 + random.nextInt(bytes.length - 16)] = (byte) random.nextInt(256);
                }
            }
            case 1 -> { // an attribute length somewhere
                int at = 20 + 4 * random.nextInt((bytes.length - 20) / 4);
                ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder()).putShort(at, (short) random.nextInt(65536));
            }
            case 2 -> bytes = java.util.Arrays.copyOf(bytes, 16 + random.nextInt(bytes.length - 16)); // cut
            default -> {} // unchanged
        }
        // mnl_cb_run checks nlmsg_len against what was received before our callback sees a message.
        ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder()).putInt(0, bytes.length);
        return bytes;
    }

    static WireGuardDevice parse(List<byte[]> messages) {
        WireGuardDump dump = new WireGuardDump(FAMILY);
        try (Arena arena = Arena.ofConfined()) {
            for (byte[] bytes : messages) {
                MemorySegment segment = arena.allocate(bytes.length, 8);
                MemorySegment.copy(bytes, 0, segment, ValueLayout.JAVA_BYTE, 0, bytes.length);
                dump.accept(new NetlinkMessage(segment));
            }
        }
        return dump.device();
    }

    /** Two messages as the kernel splits a dump: the first peer's allowed IPs continue in the second. */
    static List<byte[]> kernelDump() {
        byte[] timespec = ByteBuffer.allocate(16)
                .order(ByteOrder.nativeOrder())
                .putLong(1_700_000_000L)
                .putLong(123)
                .array();
        byte[] first = message(m -> {
            m.putU32(Libmnl.WGDEVICE_A_IFINDEX, 7);
            m.putStrz(Libmnl.WGDEVICE_A_IFNAME, "wgt0");
            m.putBytes(Libmnl.WGDEVICE_A_PRIVATE_KEY, PRIVATE.toBytes());
            m.putBytes(Libmnl.WGDEVICE_A_PUBLIC_KEY, PRIVATE.publicKey().toBytes());
            m.putU16(Libmnl.WGDEVICE_A_LISTEN_PORT, (short) 51820);
            m.putU32(Libmnl.WGDEVICE_A_FWMARK, 0xffff_fffe);
            m.putNested(
                    Libmnl.WGDEVICE_A_PEERS,
                    peers -> peers.putNested((short) 0, p -> {
                        p.putBytes(Libmnl.WGPEER_A_PUBLIC_KEY, FIRST.toBytes());
                        p.putBytes(Libmnl.WGPEER_A_PRESHARED_KEY, PSK.toBytes());
                        p.putBytes(Libmnl.WGPEER_A_ENDPOINT, WireGuardMessages.sockaddr(endpoint("192.0.2.1", 51821)));
                        p.putU16(Libmnl.WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, (short) 25);
                        p.putBytes(Libmnl.WGPEER_A_LAST_HANDSHAKE_TIME, timespec);
                        p.putU64(Libmnl.WGPEER_A_RX_BYTES, 1234);
                        p.putU64(Libmnl.WGPEER_A_TX_BYTES, 5678);
                        p.putU32(Libmnl.WGPEER_A_PROTOCOL_VERSION, 1);
                        p.putNested(Libmnl.WGPEER_A_ALLOWEDIPS, ips -> {
                            allowedIp(ips, 2, new byte[] {10, 0, 0, 0}, 8);
                            byte[] fd = new byte[16];
                            fd[0] = (byte) 0xfd;
                            allowedIp(ips, 10, fd, 8);
                        });
                    }));
        });
        byte[] second = message(m -> m.putNested(Libmnl.WGDEVICE_A_PEERS, peers -> {
            peers.putNested((short) 0, p -> {
                p.putBytes(Libmnl.WGPEER_A_PUBLIC_KEY, FIRST.toBytes());
                p.putNested(
                        Libmnl.WGPEER_A_ALLOWEDIPS,
                        ips -> allowedIp(ips, 2, new byte[] {(byte) 192, (byte) 168, 7, 0}, 24));
            });
            peers.putNested((short) 1, p -> {
                p.putBytes(Libmnl.WGPEER_A_PUBLIC_KEY, SECOND.toBytes());
                p.putBytes(Libmnl.WGPEER_A_PRESHARED_KEY, new byte[32]);
                p.putBytes(Libmnl.WGPEER_A_ENDPOINT, WireGuardMessages.sockaddr(endpoint("2001:db8::2", 443)));
                p.putU16(Libmnl.WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, (short) 0);
                p.putBytes(Libmnl.WGPEER_A_LAST_HANDSHAKE_TIME, new byte[16]);
                p.putU64(Libmnl.WGPEER_A_RX_BYTES, 0);
                p.putU64(Libmnl.WGPEER_A_TX_BYTES, 0);
            });
        }));
        return List.of(first, second);
    }

    private static void allowedIp(NetlinkRequest ips, int family, byte[] address, int length) {
        ips.putNested((short) 0, ip -> {
            ip.putU16(Libmnl.WGALLOWEDIP_A_FAMILY, (short) family);
            ip.putBytes(Libmnl.WGALLOWEDIP_A_IPADDR, address);
            ip.putU8(Libmnl.WGALLOWEDIP_A_CIDR_MASK, (byte) length);
        });
    }

    private static InetSocketAddress endpoint(String address, int port) {
        return new InetSocketAddress(IpPrefix.parseAddress(address), port);
    }

    /** One reply message: the family's type, NLM_F_MULTI, a WG_CMD_GET_DEVICE generic header. */
    static byte[] message(Consumer<NetlinkRequest> attributes) {
        try (Arena arena = Arena.ofConfined()) {
            NetlinkRequest m = new NetlinkRequest(arena, FAMILY, Libmnl.NLM_F_MULTI);
            MemorySegment genl = m.putExtraHeader(Libmnl.GENLMSGHDR.byteSize());
            genl.set(ValueLayout.JAVA_BYTE, 0, Libmnl.WG_CMD_GET_DEVICE);
            genl.set(ValueLayout.JAVA_BYTE, 1, Libmnl.WG_GENL_VERSION);
            attributes.accept(m);
            return m.segment().toArray(ValueLayout.JAVA_BYTE);
        }
    }
}
