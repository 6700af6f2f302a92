package dev.wgpr.tunnel.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Cutting TCP super-packets as a NIC does: lengths, sequence numbers, flags and checksums. */
class GsoTest {
    private static final int MSS = 1000;

    /** A TSO read: virtio_net_hdr, IPv4 (or IPv6) and a 32-byte TCP header, then {@code payload}. */
    private static MemorySegment superPacket(Arena arena, boolean v4, byte[] payload, int tcpFlags) {
        int ip = v4 ? 20 : 40;
        int header = ip + 32;
        ByteBuffer b = ByteBuffer.allocate(Gso.VNET_HDR_LEN + header + payload.length);
        b.order(ByteOrder.LITTLE_ENDIAN)
                .put((byte) Gso.F_NEEDS_CSUM)
                .put((byte) (v4 ? Gso.GSO_TCPV4 : Gso.GSO_TCPV6))
                .putShort((short) header)
                .putShort((short) MSS)
                .putShort((short) ip)
                .putShort((short) 16);
        b.order(ByteOrder.BIG_ENDIAN);
        if (v4) {
            b.put((byte) 0x45)
                    .put((byte) 0)
                    .putShort((short) (header + payload.length))
                    .putShort((short) 7)
                    .putShort((short) 0x4000)
                    .put((byte) 64)
                    .put((byte) 6)
                    .putShort((short) 0)
                    .put(new byte[] {10, 8, 0, 2})
                    .put(new byte[] {10, 8, 0, 1});
        } else {
            b.putInt(0x60000000)
                    .putShort((short) (32 + payload.length))
                    .put((byte) 6)
                    .put((byte) 64);
            byte[] src = new byte[16];
            src[0] = (byte) 0xfd;
            src[15] = 2;
            byte[] dst = src.clone();
            dst[15] = 1;
            b.put(src).put(dst);
        }
        b.putShort((short) 40000)
                .putShort((short) 5201)
                .putInt(0xfffffc00)
                .putInt(12345)
                .put((byte) 0x80)
                .put((byte) tcpFlags)
                .putShort((short) 500)
                .putShort((short) 0)
                .putShort((short) 0);
        b.put(new byte[] {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2}); // NOP NOP timestamps
        b.put(payload);
        MemorySegment read = arena.allocate(b.capacity());
        MemorySegment.copy(b.array(), 0, read, ValueLayout.JAVA_BYTE, 0, b.capacity());
        return read;
    }

    private static List<byte[]> split(MemorySegment read) {
        List<byte[]> packets = new ArrayList<>();
        byte[] buffer = new byte[70000];
        int n = Gso.split(
                read,
                (int) read.byteSize(),
                buffer,
                16,
                (p, off, len) -> packets.add(Arrays.copyOfRange(p, off, off + len)));
        assertEquals(packets.size(), n);
        return packets;
    }

    private static boolean tcpChecksumValid(byte[] p, boolean v4) {
        int ip = v4 ? 20 : 40;
        int tcpLength = p.length - ip;
        int pseudo = v4 ? Gso.sum(p, 12, 8, 0) : Gso.sum(p, 8, 32, 0);
        return Gso.fold(Gso.sum(p, ip, tcpLength, pseudo + 6 + tcpLength)) == 0xffff;
    }

    @Test
    void cutsAnIpv4SuperPacketIntoMssSizedSegmentsWithValidChecksums() {
        byte[] payload = new byte[2500];
        new Random(1).nextBytes(payload);
        try (Arena arena = Arena.ofConfined()) {
            List<byte[]> packets = split(superPacket(arena, true, payload, 0x18 | 0x01)); // ACK PSH FIN
            assertEquals(3, packets.size());
            int[] sizes = {MSS, MSS, 500};
            for (int i = 0; i < 3; i++) {
                ByteBuffer p = ByteBuffer.wrap(packets.get(i));
                assertEquals(52 + sizes[i], packets.get(i).length);
                assertEquals(52 + sizes[i], p.getShort(2) & 0xffff, "IPv4 total length");
                assertEquals(7 + i, p.getShort(4), "IPv4 id counts up");
                assertEquals(0xffff, Gso.fold(Gso.sum(packets.get(i), 0, 20, 0)), "IPv4 header checksum");
                assertEquals(0xfffffc00 + i * MSS, p.getInt(24), "sequence number, across the 2^32 wrap");
                int flags = p.get(33) & 0xff;
                assertEquals(i == 2 ? 0x19 : 0x10, flags, "PSH and FIN only on the last segment");
                assertTrue(tcpChecksumValid(packets.get(i), true), "TCP checksum of segment " + i);
                assertEquals(
                        ByteBuffer.wrap(payload, i * MSS, sizes[i]),
                        ByteBuffer.wrap(packets.get(i), 52, sizes[i]),
                        "payload slice " + i);
            }
        }
    }

    @Test
    void cutsAnIpv6SuperPacket() {
        byte[] payload = new byte[3000];
        try (Arena arena = Arena.ofConfined()) {
            List<byte[]> packets = split(superPacket(arena, false, payload, 0x10));
            assertEquals(3, packets.size());
            for (byte[] p : packets) {
                assertEquals(p.length - 40, ByteBuffer.wrap(p).getShort(4) & 0xffff, "IPv6 payload length");
                assertTrue(tcpChecksumValid(p, false));
            }
        }
    }

    @Test
    void finishesThePartialChecksumOfASinglePacket() {
        try (Arena arena = Arena.ofConfined()) {
            byte[] payload = new byte[300];
            new Random(2).nextBytes(payload);
            MemorySegment read = superPacket(arena, true, payload, 0x18);
            read.set(ValueLayout.JAVA_BYTE, 1, (byte) Gso.GSO_NONE);
            // The kernel leaves the pseudo-header sum in the checksum field.
            byte[] packet = new byte[352];
            MemorySegment.copy(read, ValueLayout.JAVA_BYTE, Gso.VNET_HDR_LEN, packet, 0, 352);
            int pseudo = Gso.fold(Gso.sum(packet, 12, 8, 0) + 6 + 332);
            read.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), Gso.VNET_HDR_LEN + 36, (short)
                    pseudo);
            List<byte[]> packets = split(read);
            assertEquals(1, packets.size());
            assertTrue(tcpChecksumValid(packets.get(0), true));
        }
    }

    @Test
    void dropsAReadTooShortForItsHeaders() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment read = superPacket(arena, true, new byte[100], 0x10).asSlice(0, Gso.VNET_HDR_LEN + 30);
            assertEquals(0, Gso.split(read, (int) read.byteSize(), new byte[70000], 16, (p, o, l) -> {}));
        }
    }

    @Test
    void checksumOfAnyOffsetAndLengthIsTheSumOfBigEndianWords() {
        Random random = new Random(7);
        byte[] bytes = new byte[3000];
        random.nextBytes(bytes);
        for (int trial = 0; trial < 2000; trial++) {
            int off = random.nextInt(100);
            int len = random.nextInt(bytes.length - off);
            int initial = random.nextInt(1 << 20);
            long expected = initial;
            for (int i = 0; i < len; i += 2) {
                expected += ((bytes[off + i] & 0xff) << 8) | (i + 1 < len ? bytes[off + i + 1] & 0xff : 0);
            }
            while ((expected >>> 16) != 0) {
                expected = (expected & 0xffff) + (expected >>> 16);
            }
            assertEquals(expected, Gso.fold(Gso.sum(bytes, off, len, initial)), "offset " + off + ", length " + len);
        }
    }
}
