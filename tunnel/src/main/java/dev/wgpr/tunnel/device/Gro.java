package dev.wgpr.tunnel.device;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import dev.wgpr.common.linux.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Generic receive offload for a TUN with {@code IFF_VNET_HDR}: consecutive TCP segments of one flow, as
 * they come out of one batch of datagrams, are joined into one packet of up to 64 KiB that the kernel takes
 * with a {@code virtio_net_hdr} saying how it was cut ({@code gso_size}), so its TCP stack handles one large
 * segment instead of forty. Anything that does not continue the pending flow exactly (other flow, a gap,
 * other flags, options or acknowledgment) first flushes what is pending, so order is kept. Owned by one
 * thread.
 */
final class Gro {
    private static final int MAX_SIZE = 65535;
    private static final ValueLayout.OfShort LE_SHORT =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort BE_SHORT =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt BE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private final TunDevice tun;
    private final MemorySegment out;
    private final byte[] scratch = new byte[MAX_SIZE];

    // The pending super-packet at out[VNET_HDR_LEN, VNET_HDR_LEN + length).
    private int length;
    private int count;
    private boolean v4;
    private int ipHeaderLength;
    private int headerLength;
    private int segmentSize;
    private int nextSeq;
    private boolean closed;
    /** Super-packets written (each several segments joined); for tests and statistics. */
    long joinedWrites;

    Gro(TunDevice tun, Arena arena) {
        this.tun = tun;
        this.out = Libc.mapAnonymous(Gso.VNET_HDR_LEN + MAX_SIZE, arena);
    }

    /** Takes one IP packet (its exact bytes); writes it now or holds it to join the next ones. */
    void add(MemorySegment packet) {
        int size = (int) packet.byteSize();
        if (count > 0 && continues(packet, size)) {
            int payload = size - headerLength;
            MemorySegment.copy(packet, headerLength, out, Gso.VNET_HDR_LEN + length, payload);
            length += payload;
            nextSeq += payload;
            count++;
            int flags = packet.get(JAVA_BYTE, ipHeaderLength + 13) & 0xff;
            if (payload < segmentSize || (flags & 0x08) != 0) {
                // A short or pushed segment ends the run; its PSH goes on the whole.
                int tcp = Gso.VNET_HDR_LEN + ipHeaderLength;
                out.set(JAVA_BYTE, tcp + 13, (byte) (out.get(JAVA_BYTE, tcp + 13) | (flags & 0x08)));
                closed = true;
            }
            return;
        }
        flush();
        if (!start(packet, size)) {
            tun.write(packet);
        }
    }

    /** Writes what is pending. */
    void flush() {
        if (count == 0) {
            return;
        }
        MemorySegment packet = out.asSlice(Gso.VNET_HDR_LEN, length);
        if (count == 1) {
            tun.write(packet);
        } else {
            writeJoined();
        }
        count = 0;
        length = 0;
    }

    private void writeJoined() {
        int ip = Gso.VNET_HDR_LEN;
        int tcp = ip + ipHeaderLength;
        if (v4) {
            out.set(BE_SHORT, ip + 2, (short) length);
            out.set(BE_SHORT, ip + 10, (short) 0);
            MemorySegment.copy(out, JAVA_BYTE, ip, scratch, 0, ipHeaderLength);
            out.set(BE_SHORT, ip + 10, (short) ~Gso.fold(Gso.sum(scratch, 0, ipHeaderLength, 0)));
        } else {
            out.set(BE_SHORT, ip + 4, (short) (length - 40));
        }
        // A partial checksum, as a NIC would get it: the pseudo-header sum; the kernel trusts the rest.
        int tcpLength = length - ipHeaderLength;
        MemorySegment.copy(out, JAVA_BYTE, ip, scratch, 0, ipHeaderLength);
        int pseudo = v4 ? Gso.sum(scratch, 12, 8, 0) : Gso.sum(scratch, 8, 32, 0);
        out.set(BE_SHORT, tcp + 16, (short) Gso.fold(pseudo + 6 + tcpLength));
        out.set(JAVA_BYTE, 0, (byte) Gso.F_NEEDS_CSUM);
        out.set(JAVA_BYTE, 1, (byte) (v4 ? Gso.GSO_TCPV4 : Gso.GSO_TCPV6));
        out.set(LE_SHORT, 2, (short) headerLength);
        out.set(LE_SHORT, 4, (short) segmentSize);
        out.set(LE_SHORT, 6, (short) ipHeaderLength);
        out.set(LE_SHORT, 8, (short) 16);
        tun.writeWithHeader(out.asSlice(0, Gso.VNET_HDR_LEN + length));
        joinedWrites++;
    }

    /** Starts a run with {@code packet} if it is a TCP data segment that may be joined; false otherwise. */
    private boolean start(MemorySegment packet, int size) {
        int ipLength = joinableIpHeader(packet, size);
        if (ipLength < 0) {
            return false;
        }
        int tcpLength = tcpHeaderLength(packet, ipLength);
        int payload = size - ipLength - tcpLength;
        int flags = packet.get(JAVA_BYTE, ipLength + 13) & 0xff;
        if (tcpLength < 20 || payload <= 0 || (flags & ~0x18) != 0 || (flags & 0x10) == 0) {
            return false; // only plain ACK (+PSH) segments with data
        }
        MemorySegment.copy(packet, 0, out, Gso.VNET_HDR_LEN, size);
        v4 = (packet.get(JAVA_BYTE, 0) >> 4 & 0xf) == 4;
        ipHeaderLength = ipLength;
        headerLength = ipLength + tcpLength;
        segmentSize = payload;
        length = size;
        count = 1;
        nextSeq = packet.get(BE_INT, ipLength + 4) + payload;
        closed = (flags & 0x08) != 0;
        return true;
    }

    private boolean continues(MemorySegment packet, int size) {
        if (closed
                || size <= headerLength
                || size - headerLength > segmentSize
                || length + size - headerLength > MAX_SIZE) {
            return false;
        }
        if (joinableIpHeader(packet, size) != ipHeaderLength
                || tcpHeaderLength(packet, ipHeaderLength) != headerLength - ipHeaderLength) {
            return false;
        }
        int flags = packet.get(JAVA_BYTE, ipHeaderLength + 13) & 0xff;
        if ((flags & ~0x18) != 0 || (flags & 0x10) == 0 || packet.get(BE_INT, ipHeaderLength + 4) != nextSeq) {
            return false;
        }
        int o = Gso.VNET_HDR_LEN;
        if (v4) {
            // Same addresses, TOS, TTL, DF; then the same ports, ack, window, options.
            if (!same(packet, 12, o + 12, 8)
                    || !same(packet, 1, o + 1, 1)
                    || !same(packet, 8, o + 8, 1)
                    || !same(packet, 6, o + 6, 1)) {
                return false;
            }
        } else if (!same(packet, 8, o + 8, 32) || !same(packet, 0, o, 4) || !same(packet, 7, o + 7, 1)) {
            return false;
        }
        int tcp = ipHeaderLength;
        return same(packet, tcp, o + tcp, 4)
                && same(packet, tcp + 8, o + tcp + 8, 4)
                && same(packet, tcp + 14, o + tcp + 14, 2)
                && same(packet, tcp + 20, o + tcp + 20, headerLength - ipHeaderLength - 20);
    }

    private boolean same(MemorySegment packet, int offset, int outOffset, int bytes) {
        return MemorySegment.mismatch(packet, offset, offset + bytes, out, outOffset, outOffset + bytes) < 0;
    }

    /** The IP header length of a TCP packet that may be joined: IPv4 without options or fragments, IPv6 without extension headers; else -1. */
    private static int joinableIpHeader(MemorySegment packet, int size) {
        int version = packet.get(JAVA_BYTE, 0) >> 4 & 0xf;
        if (version == 4 && size >= 40) {
            int ihl = (packet.get(JAVA_BYTE, 0) & 0xf) * 4;
            int fragment = packet.get(BE_SHORT, 6) & 0x3fff; // MF and offset; DF is fine
            return ihl == 20 && fragment == 0 && packet.get(JAVA_BYTE, 9) == 6 ? 20 : -1;
        }
        if (version == 6 && size >= 60) {
            return packet.get(JAVA_BYTE, 6) == 6 ? 40 : -1;
        }
        return -1;
    }

    private static int tcpHeaderLength(MemorySegment packet, int ipLength) {
        return ((packet.get(JAVA_BYTE, ipLength + 12) >> 4) & 0xf) * 4;
    }
}
