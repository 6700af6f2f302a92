package dev.wgpr.tunnel.device;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import dev.wgpr.common.linux.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

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
    private static final VarHandle BE_INTS = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle BE_SHORTS =
            MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.BIG_ENDIAN);

    private final TunDevice tun;
    private final MemorySegment out;
    private final byte[] scratch = new byte[MAX_SIZE];
    /**
     * The headers of the pending run's first segment, on the heap: each next segment is compared with them
     * there (array compares, no memory-segment checks per field).
     */
    private final byte[] header = new byte[120];

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

    /**
     * Takes one IP packet, {@code packet[offset, offset+size)} (its exact bytes); writes it now or holds it to
     * join the next ones.
     */
    void add(byte[] packet, int offset, int size) {
        if (count > 0 && continues(packet, offset, size)) {
            int payload = size - headerLength;
            MemorySegment.copy(packet, offset + headerLength, out, JAVA_BYTE, Gso.VNET_HDR_LEN + length, payload);
            length += payload;
            nextSeq += payload;
            count++;
            int flags = packet[offset + ipHeaderLength + 13] & 0xff;
            if (payload < segmentSize || (flags & 0x08) != 0) {
                // A short or pushed segment ends the run; its PSH goes on the whole.
                int tcp = Gso.VNET_HDR_LEN + ipHeaderLength;
                out.set(JAVA_BYTE, tcp + 13, (byte) (out.get(JAVA_BYTE, tcp + 13) | (flags & 0x08)));
                closed = true;
            }
            return;
        }
        flush();
        if (!start(packet, offset, size)) {
            tun.write(packet, offset, size);
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
    private boolean start(byte[] packet, int offset, int size) {
        int ipLength = joinableIpHeader(packet, offset, size);
        if (ipLength < 0) {
            return false;
        }
        int tcpLength = tcpHeaderLength(packet, offset + ipLength);
        int payload = size - ipLength - tcpLength;
        int flags = packet[offset + ipLength + 13] & 0xff;
        if (tcpLength < 20 || payload <= 0 || (flags & ~0x18) != 0 || (flags & 0x10) == 0) {
            return false; // only plain ACK (+PSH) segments with data
        }
        MemorySegment.copy(packet, offset, out, JAVA_BYTE, Gso.VNET_HDR_LEN, size);
        v4 = (packet[offset] >> 4 & 0xf) == 4;
        ipHeaderLength = ipLength;
        headerLength = ipLength + tcpLength;
        System.arraycopy(packet, offset, header, 0, headerLength);
        segmentSize = payload;
        length = size;
        count = 1;
        nextSeq = (int) BE_INTS.get(packet, offset + ipLength + 4) + payload;
        closed = (flags & 0x08) != 0;
        return true;
    }

    private boolean continues(byte[] packet, int offset, int size) {
        if (closed
                || size <= headerLength
                || size - headerLength > segmentSize
                || length + size - headerLength > MAX_SIZE) {
            return false;
        }
        if (joinableIpHeader(packet, offset, size) != ipHeaderLength
                || tcpHeaderLength(packet, offset + ipHeaderLength) != headerLength - ipHeaderLength) {
            return false;
        }
        int flags = packet[offset + ipHeaderLength + 13] & 0xff;
        if ((flags & ~0x18) != 0
                || (flags & 0x10) == 0
                || (int) BE_INTS.get(packet, offset + ipHeaderLength + 4) != nextSeq) {
            return false;
        }
        if (v4) {
            // Same addresses, TOS, TTL, DF; then the same ports, ack, window, options.
            if (!same(packet, offset, 12, 8)
                    || !same(packet, offset, 1, 1)
                    || !same(packet, offset, 8, 1)
                    || !same(packet, offset, 6, 1)) {
                return false;
            }
        } else if (!same(packet, offset, 8, 32) || !same(packet, offset, 0, 4) || !same(packet, offset, 7, 1)) {
            return false;
        }
        int tcp = ipHeaderLength;
        return same(packet, offset, tcp, 4)
                && same(packet, offset, tcp + 8, 4)
                && same(packet, offset, tcp + 14, 2)
                && same(packet, offset, tcp + 20, headerLength - ipHeaderLength - 20);
    }

    /** Whether the packet's bytes at {@code at} are the run's first segment's. */
    private boolean same(byte[] packet, int offset, int at, int bytes) {
        return Arrays.equals(packet, offset + at, offset + at + bytes, header, at, at + bytes);
    }

    /** The IP header length of a TCP packet that may be joined: IPv4 without options or fragments, IPv6 without extension headers; else -1. */
    private static int joinableIpHeader(byte[] packet, int offset, int size) {
        int version = packet[offset] >> 4 & 0xf;
        if (version == 4 && size >= 40) {
            int ihl = (packet[offset] & 0xf) * 4;
            int fragment = (short) BE_SHORTS.get(packet, offset + 6) & 0x3fff; // MF and offset; DF is fine
            return ihl == 20 && fragment == 0 && packet[offset + 9] == 6 ? 20 : -1;
        }
        if (version == 6 && size >= 60) {
            return packet[offset + 6] == 6 ? 40 : -1;
        }
        return -1;
    }

    private static int tcpHeaderLength(byte[] packet, int tcpOffset) {
        return ((packet[tcpOffset + 12] >> 4) & 0xf) * 4;
    }
}
