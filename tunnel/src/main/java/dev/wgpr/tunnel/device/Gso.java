package dev.wgpr.tunnel.device;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Generic segmentation offload for packets read from a TUN with {@code IFF_VNET_HDR}: the kernel hands us
 * TCP "super-packets" of up to 64 KiB with a {@code virtio_net_hdr} that says how to cut them ({@code
 * gso_size}, the MSS) and packets whose checksum it left for us to finish ({@code NEEDS_CSUM}). This turns
 * one such read into the wire-sized IP packets WireGuard sends, as a NIC would: headers copied, IPv4 length,
 * id and header checksum, IPv6 payload length, TCP sequence number and flags adjusted, TCP checksum
 * computed. One read then costs one syscall instead of forty, and the kernel's TCP works in large segments.
 */
final class Gso {
    static final int VNET_HDR_LEN = 10;
    static final int F_NEEDS_CSUM = 1;
    static final int F_DATA_VALID = 2;
    static final int GSO_NONE = 0;
    static final int GSO_TCPV4 = 1;
    static final int GSO_TCPV6 = 4;
    static final int GSO_ECN = 0x80;

    private static final VarHandle BIG_ENDIAN_LONGS =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfShort LE_SHORT =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Gso() {}

    /** Receives each packet {@link #split} makes, at {@code buffer[offset, offset+length)}. */
    interface Sink {
        void packet(byte[] buffer, int offset, int length);
    }

    /**
     * Splits what a TUN read returned ({@code read[0, length)}: header and packet) into packets, each
     * written to {@code buffer} at {@code offset} and handed to {@code sink} before the next overwrites it.
     *
     * @return how many packets; 0 when the read was malformed (dropped)
     */
    static int split(MemorySegment read, int length, byte[] buffer, int offset, Sink sink) {
        if (length < VNET_HDR_LEN) {
            return 0;
        }
        int flags = read.get(JAVA_BYTE, 0) & 0xff;
        int gsoType = (read.get(JAVA_BYTE, 1) & 0xff) & ~GSO_ECN;
        int gsoSize = Short.toUnsignedInt(read.get(LE_SHORT, 4));
        int csumStart = Short.toUnsignedInt(read.get(LE_SHORT, 6));
        int csumOffset = Short.toUnsignedInt(read.get(LE_SHORT, 8));
        int packetLength = length - VNET_HDR_LEN;
        if (packetLength > buffer.length - offset) {
            return 0;
        }
        if (gsoType == GSO_NONE || gsoSize == 0) {
            MemorySegment.copy(read, JAVA_BYTE, VNET_HDR_LEN, buffer, offset, packetLength);
            if ((flags & F_NEEDS_CSUM) != 0) {
                int field = csumStart + csumOffset;
                if (field + 2 > packetLength) {
                    return 0;
                }
                // The kernel left the pseudo-header sum in the field: sum everything from csum_start.
                int sum = fold(sum(buffer, offset + csumStart, packetLength - csumStart, 0));
                putShort(buffer, offset + field, ~sum & 0xffff);
            }
            sink.packet(buffer, offset, packetLength);
            return 1;
        }
        if (gsoType != GSO_TCPV4 && gsoType != GSO_TCPV6) {
            return 0; // UDP offloads are never enabled
        }
        return splitTcp(read, packetLength, gsoType == GSO_TCPV4, gsoSize, csumStart, buffer, offset, sink);
    }

    private static int splitTcp(
            MemorySegment read,
            int packetLength,
            boolean v4,
            int mss,
            int tcpOffset,
            byte[] buffer,
            int offset,
            Sink sink) {
        if (tcpOffset + 20 > packetLength) {
            return 0;
        }
        MemorySegment.copy(read, JAVA_BYTE, VNET_HDR_LEN, buffer, offset, tcpOffset + 20);
        int tcpHeaderLength = ((buffer[offset + tcpOffset + 12] >> 4) & 0xf) * 4;
        int headerLength = tcpOffset + tcpHeaderLength;
        if (tcpHeaderLength < 20 || headerLength > packetLength) {
            return 0;
        }
        MemorySegment.copy(read, JAVA_BYTE, VNET_HDR_LEN, buffer, offset, headerLength);
        int payload = packetLength - headerLength;
        int firstId = v4 ? getShort(buffer, offset + 4) : 0;
        long firstSeq = getInt(buffer, offset + tcpOffset + 4) & 0xffffffffL;
        int originalFlags = buffer[offset + tcpOffset + 13] & 0xff;
        int count = 0;
        for (int start = 0; start < payload || (payload == 0 && count == 0); start += mss) {
            int chunk = Math.min(mss, payload - start);
            boolean first = start == 0;
            boolean last = start + chunk >= payload;
            // Headers afresh for every segment: the sink may encrypt the buffer in place.
            MemorySegment.copy(read, JAVA_BYTE, VNET_HDR_LEN, buffer, offset, headerLength);
            MemorySegment.copy(
                    read, JAVA_BYTE, VNET_HDR_LEN + headerLength + start, buffer, offset + headerLength, chunk);
            int total = headerLength + chunk;
            if (v4) {
                putShort(buffer, offset + 2, total);
                putShort(buffer, offset + 4, (firstId + count) & 0xffff);
                putShort(buffer, offset + 10, 0);
                int ihl = (buffer[offset] & 0xf) * 4;
                putShort(buffer, offset + 10, ~fold(sum(buffer, offset, ihl, 0)) & 0xffff);
            } else {
                putShort(buffer, offset + 4, total - 40);
            }
            int tcp = offset + tcpOffset;
            putInt(buffer, tcp + 4, (int) (firstSeq + start));
            int tcpFlags = originalFlags;
            if (!last) {
                tcpFlags &= ~(0x01 | 0x08); // FIN and PSH belong to the last segment
            }
            if (!first) {
                tcpFlags &= ~0x80; // CWR to the first
            }
            buffer[tcp + 13] = (byte) tcpFlags;
            putShort(buffer, tcp + 16, 0);
            int tcpLength = total - tcpOffset;
            int pseudo = v4
                    ? sum(buffer, offset + 12, 8, 0) + 6 + tcpLength
                    : sum(buffer, offset + 8, 32, 0) + 6 + tcpLength;
            putShort(buffer, tcp + 16, ~fold(sum(buffer, tcp, tcpLength, pseudo)) & 0xffff);
            sink.packet(buffer, offset, total);
            count++;
            if (payload == 0) {
                break;
            }
        }
        return count;
    }

    /**
     * The one's-complement sum of {@code b[off, off+len)} as 16-bit big-endian words, added to {@code sum};
     * the result is at most 16 bits wide (folded), so callers may add small terms to it as ints.
     *
     * <p>Eight bytes are added per step as two 32-bit words: one's-complement addition is addition modulo
     * 0xffff, and 2^16 is 1 modulo 0xffff, so a 32-bit word adds what its two 16-bit halves add. This sum runs
     * over every byte sent (TCP checksums of cut super-packets), so it is on the hot path.
     */
    static int sum(byte[] b, int off, int len, int sum) {
        long acc = sum & 0xffffffffL;
        int end = off + len;
        int i = off;
        for (; i + 8 <= end; i += 8) {
            long word = (long) BIG_ENDIAN_LONGS.get(b, i);
            acc += (word >>> 32) + (word & 0xffffffffL);
        }
        for (; i + 1 < end; i += 2) {
            acc += ((b[i] & 0xff) << 8) | (b[i + 1] & 0xff);
        }
        if (i < end) {
            acc += (b[i] & 0xff) << 8;
        }
        while ((acc >>> 16) != 0) {
            acc = (acc & 0xffff) + (acc >>> 16);
        }
        return (int) acc;
    }

    static int fold(int sum) {
        long s = sum & 0xffffffffL;
        while ((s >>> 16) != 0) {
            s = (s & 0xffff) + (s >>> 16);
        }
        return (int) s;
    }

    private static int getShort(byte[] b, int i) {
        return ((b[i] & 0xff) << 8) | (b[i + 1] & 0xff);
    }

    private static int getInt(byte[] b, int i) {
        return (getShort(b, i) << 16) | getShort(b, i + 2);
    }

    private static void putShort(byte[] b, int i, int v) {
        b[i] = (byte) (v >> 8);
        b[i + 1] = (byte) v;
    }

    private static void putInt(byte[] b, int i, int v) {
        putShort(b, i, v >>> 16);
        putShort(b, i + 2, v);
    }
}
