package dev.wgpr.routes.netlink;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.function.Consumer;

/**
 * A netlink request being built in a native buffer with libmnl's {@code mnl_nlmsg_put_header}, {@code
 * mnl_nlmsg_put_extra_header} and {@code mnl_attr_put_*}. The sequence number is set when it is sent.
 */
final class NetlinkRequest {
    /** Room for a header, a family header and a few attributes; checked on every put. */
    static final int CAPACITY = 4096;

    private final MemorySegment buffer;
    private final MemorySegment header;
    private final Arena arena;

    NetlinkRequest(Arena arena, short type, short flags) {
        this.arena = arena;
        this.buffer = arena.allocate(CAPACITY, 8);
        try {
            this.header =
                    Libmnl.view((MemorySegment) Libmnl.mnl_nlmsg_put_header$MH().invokeExact(buffer), CAPACITY);
        } catch (Throwable t) {
            throw unexpected(t);
        }
        header.set(ValueLayout.JAVA_SHORT, Libmnl.NLMSG_TYPE, type);
        header.set(ValueLayout.JAVA_SHORT, Libmnl.NLMSG_FLAGS, flags);
    }

    /** {@code mnl_nlmsg_put_extra_header}: a zeroed family header of {@code size} bytes to fill in. */
    MemorySegment putExtraHeader(long size) {
        ensureRoom(size);
        try {
            MemorySegment extra =
                    (MemorySegment) Libmnl.mnl_nlmsg_put_extra_header$MH().invokeExact(header, size);
            return Libmnl.view(extra, size);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    NetlinkRequest putU32(short type, int value) {
        ensureRoom(Libmnl.NLA_HDRLEN + 4);
        try {
            Libmnl.mnl_attr_put_u32$MH().invokeExact(header, type, value);
        } catch (Throwable t) {
            throw unexpected(t);
        }
        return this;
    }

    NetlinkRequest putU16(short type, short value) {
        ensureRoom(Libmnl.NLA_HDRLEN + 2);
        try {
            Libmnl.mnl_attr_put_u16$MH().invokeExact(header, type, value);
        } catch (Throwable t) {
            throw unexpected(t);
        }
        return this;
    }

    NetlinkRequest putU64(short type, long value) {
        ensureRoom(Libmnl.NLA_HDRLEN + 8);
        try {
            Libmnl.mnl_attr_put_u64$MH().invokeExact(header, type, value);
        } catch (Throwable t) {
            throw unexpected(t);
        }
        return this;
    }

    NetlinkRequest putU8(short type, byte value) {
        ensureRoom(Libmnl.NLA_HDRLEN + 4);
        try {
            Libmnl.mnl_attr_put_u8$MH().invokeExact(header, type, value);
        } catch (Throwable t) {
            throw unexpected(t);
        }
        return this;
    }

    /** {@code mnl_attr_nest_start}: a nested attribute that holds what {@code body} puts. */
    NetlinkRequest putNested(short type, Consumer<NetlinkRequest> body) {
        ensureRoom(Libmnl.NLA_HDRLEN);
        try {
            MemorySegment nest = (MemorySegment) Libmnl.mnl_attr_nest_start$MH().invokeExact(header, type);
            body.accept(this);
            Libmnl.mnl_attr_nest_end$MH().invokeExact(header, nest);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
        return this;
    }

    /** {@code mnl_attr_put}: an attribute carrying {@code value} as is (e.g. an address in network order). */
    NetlinkRequest putBytes(short type, byte[] value) {
        MemorySegment data = arena.allocateFrom(ValueLayout.JAVA_BYTE, value);
        ensureRoom(Libmnl.NLA_HDRLEN + value.length);
        try {
            Libmnl.mnl_attr_put$MH().invokeExact(header, type, (long) value.length, data);
        } catch (Throwable t) {
            throw unexpected(t);
        }
        return this;
    }

    /** {@code mnl_attr_put_strz}: a NUL-terminated string attribute. */
    NetlinkRequest putStrz(short type, String value) {
        MemorySegment string = arena.allocateFrom(value);
        ensureRoom(Libmnl.NLA_HDRLEN + string.byteSize());
        try {
            Libmnl.mnl_attr_put_strz$MH().invokeExact(header, type, string);
        } catch (Throwable t) {
            throw unexpected(t);
        }
        return this;
    }

    void sequence(int seq) {
        header.set(ValueLayout.JAVA_INT, Libmnl.NLMSG_SEQ, seq);
    }

    int length() {
        return header.get(ValueLayout.JAVA_INT, Libmnl.NLMSG_LEN);
    }

    short flags() {
        return header.get(ValueLayout.JAVA_SHORT, Libmnl.NLMSG_FLAGS);
    }

    MemorySegment segment() {
        return buffer.asSlice(0, length());
    }

    /** The bytes still free: a caller that splits its request over several messages sizes by this. */
    long room() {
        return CAPACITY - length();
    }

    private void ensureRoom(long more) {
        if (length() + Libmnl.align(more) > CAPACITY) {
            throw new IllegalStateException("netlink request larger than " + CAPACITY + " bytes");
        }
    }

    private static AssertionError unexpected(Throwable t) {
        if (t instanceof Error e) {
            throw e;
        }
        return new AssertionError("libmnl call failed unexpectedly", t);
    }
}
