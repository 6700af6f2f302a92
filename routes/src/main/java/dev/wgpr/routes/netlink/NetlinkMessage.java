package dev.wgpr.routes.netlink;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One received netlink message, viewed in place in the receive buffer: valid only during the callback
 * that received it, so copy out what you keep. Does in Java what libmnl's macros do in C ({@code
 * mnl_nlmsg_get_payload}, {@code mnl_attr_for_each}, {@code mnl_attr_get_*}).
 */
final class NetlinkMessage {
    private final MemorySegment message;

    /** {@code header} points at a {@code struct nlmsghdr}; its {@code nlmsg_len} bounds the view. */
    NetlinkMessage(MemorySegment header) {
        MemorySegment sized = Libmnl.view(header, Libmnl.NLMSGHDR.byteSize());
        int length = sized.get(JAVA_INT, Libmnl.NLMSG_LEN);
        if (length < Libmnl.NLMSGHDR.byteSize()) {
            throw new IllegalStateException("netlink message shorter than its header: " + length);
        }
        this.message = Libmnl.view(header, length);
    }

    short type() {
        return message.get(JAVA_SHORT, Libmnl.NLMSG_TYPE);
    }

    short flags() {
        return message.get(JAVA_SHORT, Libmnl.NLMSG_FLAGS);
    }

    /** {@code mnl_nlmsg_get_payload}: what follows the aligned header. */
    MemorySegment payload() {
        return message.asSlice(Libmnl.NLMSG_HDRLEN);
    }

    /**
     * {@code mnl_attr_for_each(attr, nlh, offset)}: the attributes after a family header of {@code
     * offset} bytes (e.g. {@code sizeof(struct ifinfomsg)}).
     */
    List<Attribute> attributes(long offset) {
        return Attribute.parse(payload().asSlice(Libmnl.align(offset)));
    }

    /**
     * The attributes after a family header of {@code offset} bytes, all of them well formed or a {@link
     * MalformedReplyException} naming {@code what}: for replies whose every attribute matters.
     */
    List<Attribute> attributesStrictly(long offset, String what) {
        long start = Libmnl.align(offset);
        if (payload().byteSize() < start) {
            throw new MalformedReplyException(what + ": message of " + message.byteSize()
                    + " bytes has no room for its " + offset + "-byte family header");
        }
        return Attribute.parseStrictly(payload().asSlice(start), what);
    }

    /** One {@code struct nlattr} and its payload; {@code nested} is its {@code NLA_F_NESTED} flag. */
    record Attribute(int type, boolean nested, MemorySegment payload) {
        /** {@code mnl_attr_for_each_payload}: stops at the first attribute that does not fit. */
        static List<Attribute> parse(MemorySegment area) {
            List<Attribute> attributes = new ArrayList<>();
            long offset = 0;
            while (offset + Libmnl.NLA_HDRLEN <= area.byteSize()) {
                int length = Short.toUnsignedInt(area.get(JAVA_SHORT, offset));
                int type = Short.toUnsignedInt(area.get(JAVA_SHORT, offset + 2)) & Libmnl.NLA_TYPE_MASK;
                if (length < Libmnl.NLA_HDRLEN || offset + length > area.byteSize()) {
                    break; // mnl_attr_ok() fails: truncated or corrupt
                }
                attributes.add(at(area, offset, length));
                offset += Libmnl.align(length);
            }
            return attributes;
        }

        /**
         * Every attribute in {@code area}, which must hold nothing else: a length that runs past the end,
         * one shorter than the attribute header, or bytes left over throw a {@link MalformedReplyException}
         * naming {@code what}. Only the padding after the last attribute may be missing.
         */
        static List<Attribute> parseStrictly(MemorySegment area, String what) {
            List<Attribute> attributes = new ArrayList<>();
            long offset = 0;
            while (offset < area.byteSize()) {
                if (offset + Libmnl.NLA_HDRLEN > area.byteSize()) {
                    throw new MalformedReplyException(what + ": " + (area.byteSize() - offset)
                            + " bytes after the last attribute, too few for another");
                }
                int length = Short.toUnsignedInt(area.get(JAVA_SHORT, offset));
                if (length < Libmnl.NLA_HDRLEN || offset + length > area.byteSize()) {
                    throw new MalformedReplyException(what + ": attribute at byte " + offset + " claims " + length
                            + " bytes, " + (area.byteSize() - offset) + " are left");
                }
                attributes.add(at(area, offset, length));
                offset += Libmnl.align(length);
            }
            return attributes;
        }

        /** The attributes nested in this one, strictly ({@link #parseStrictly}). */
        List<Attribute> nestedStrictly(String what) {
            return parseStrictly(payload, what);
        }

        private static Attribute at(MemorySegment area, long offset, int length) {
            int rawType = Short.toUnsignedInt(area.get(JAVA_SHORT, offset + 2));
            return new Attribute(
                    rawType & Libmnl.NLA_TYPE_MASK,
                    (rawType & Libmnl.NLA_F_NESTED) != 0,
                    area.asSlice(offset + Libmnl.NLA_HDRLEN, length - Libmnl.NLA_HDRLEN));
        }

        /** The payload, which must be exactly {@code length} bytes, else a {@link MalformedReplyException}. */
        MemorySegment exactly(int length, String what) {
            if (payload.byteSize() != length) {
                throw new MalformedReplyException(what + " has " + payload.byteSize() + " bytes, expected " + length);
            }
            return payload;
        }

        int u32() {
            requireLength(4);
            return payload.get(JAVA_INT, 0);
        }

        int u16() {
            requireLength(2);
            return Short.toUnsignedInt(payload.get(JAVA_SHORT, 0));
        }

        byte[] bytes() {
            return payload.toArray(ValueLayout.JAVA_BYTE);
        }

        /** An address attribute ({@code RTA_DST}, {@code IFA_LOCAL}, ...): 4 or 16 bytes in network order. */
        InetAddress address() {
            byte[] bytes = bytes();
            if (bytes.length != 4 && bytes.length != 16) {
                throw new IllegalStateException("attribute " + type + " is not an address: " + bytes.length + " bytes");
            }
            try {
                return InetAddress.getByAddress(bytes);
            } catch (UnknownHostException e) {
                throw new AssertionError(e);
            }
        }

        /** {@code mnl_attr_get_str}: a NUL-terminated string, or all bytes when there is no NUL. */
        String string() {
            byte[] bytes = payload.toArray(ValueLayout.JAVA_BYTE);
            int end = 0;
            while (end < bytes.length && bytes[end] != 0) {
                end++;
            }
            return new String(bytes, 0, end, StandardCharsets.UTF_8);
        }

        private void requireLength(int length) {
            if (payload.byteSize() < length) {
                throw new IllegalStateException(
                        "attribute " + type + " has " + payload.byteSize() + " bytes, expected " + length);
            }
        }
    }
}
