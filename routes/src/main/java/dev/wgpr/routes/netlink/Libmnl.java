package dev.wgpr.routes.netlink;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.wgpr.common.linux.Libc;
import dev.wgpr.common.linux.LoadedLibrary;
import dev.wgpr.common.linux.NativeLibrary;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;

/**
 * libmnl ({@code libmnl.so.0}) through FFM, written by hand in the style of jextract output: one
 * method handle per exported function, linked on first use (see {@code Libc}), errno captured through
 * the linker's call state, and the kernel's netlink structs as explicit layouts. libmnl's macros ({@code
 * mnl_attr_for_each}, {@code mnl_nlmsg_for_each_msg}, ...) are done in Java by {@link NetlinkMessage}.
 *
 * <p>Every libmnl binding of the project lives here; the rest of the module talks netlink through
 * {@link NetlinkSocket}.
 */
@SuppressWarnings("restricted") // FFM downcalls and upcalls are restricted methods; this class is where we accept that.
final class Libmnl {
    private Libmnl() {}

    static final String SONAME = "libmnl.so.0";

    private static final NativeLibrary LIBRARY = NativeLibrary.load(SONAME, "libmnl0");
    private static final Linker.Option ERRNO_OPTION = Libc.CAPTURE_ERRNO;

    // <linux/netlink.h>
    static final int NETLINK_ROUTE = 0;
    static final int NETLINK_SOCK_DIAG = 4;
    static final int NETLINK_GENERIC = 16;
    static final short NLM_F_REQUEST = 0x1;
    static final short NLM_F_MULTI = 0x2;
    static final short NLM_F_ACK = 0x4;
    static final short NLM_F_ROOT = 0x100;
    static final short NLM_F_MATCH = 0x200;
    static final short NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
    static final short NLM_F_REPLACE = 0x100;
    static final short NLM_F_EXCL = 0x200;
    static final short NLM_F_CREATE = 0x400;
    static final int NETLINK_ADD_MEMBERSHIP = 1;
    static final short NLMSG_NOOP = 1;
    static final short NLMSG_ERROR = 2;
    static final short NLMSG_DONE = 3;
    static final int NLA_TYPE_MASK = 0x3fff; // without NLA_F_NESTED and NLA_F_NET_BYTEORDER

    // <libmnl/libmnl.h>
    static final int MNL_SOCKET_AUTOPID = 0;
    /** {@code MNL_SOCKET_DUMP_SIZE}: large enough that the kernel never truncates a dump message. */
    static final int MNL_SOCKET_DUMP_SIZE = 32768;

    static final int MNL_ALIGNTO = 4;
    static final int MNL_CB_ERROR = -1;
    static final int MNL_CB_STOP = 0;
    static final int MNL_CB_OK = 1;

    // <linux/rtnetlink.h>, <linux/if_link.h>, <linux/if.h>
    static final short RTM_NEWLINK = 16;
    static final short RTM_DELLINK = 17;
    static final short RTM_GETLINK = 18;
    static final short RTM_SETLINK = 19;
    static final short RTM_NEWADDR = 20;
    static final short RTM_DELADDR = 21;
    static final short RTM_GETADDR = 22;
    static final short RTM_NEWROUTE = 24;
    static final short RTM_DELROUTE = 25;
    static final short RTM_GETROUTE = 26;
    static final short RTM_NEWRULE = 32;
    static final short RTM_DELRULE = 33;
    static final short RTM_GETRULE = 34;
    /** {@code struct fib_rule_hdr}: family, dst_len, src_len, tos, table, res1, res2, action (u8 each), flags (u32). */
    static final long FIB_RULE_HDR_SIZE = 12;

    static final long FRH_TABLE = 4;
    static final long FRH_ACTION = 7;
    static final int FR_ACT_TO_TBL = 1;
    static final int FRA_PRIORITY = 6;
    static final int FRA_FWMARK = 10;
    static final int FRA_TABLE = 15;
    static final int FRA_FWMASK = 16;

    // <linux/if_addr.h>
    static final int IFA_ADDRESS = 1;
    static final int IFA_LOCAL = 2;
    static final int IFA_FLAGS = 8;
    static final int IFA_F_NODAD = 0x02;

    // <linux/rtnetlink.h>: route attributes, flags, types, scopes, tables, multicast groups
    static final int RTA_DST = 1;
    static final int RTA_OIF = 4;
    static final int RTA_GATEWAY = 5;
    static final int RTA_PRIORITY = 6;
    static final int RTA_PREFSRC = 7;
    static final int RTA_TABLE = 15;
    static final int RTM_F_LOOKUP_TABLE = 0x1000;
    static final int RTM_F_FIB_MATCH = 0x2000;
    static final byte RT_SCOPE_UNIVERSE = 0;
    static final byte RT_SCOPE_LINK = (byte) 253;
    static final int RT_TABLE_UNSPEC = 0;
    static final int RTNLGRP_LINK = 1;
    static final int RTNLGRP_IPV4_IFADDR = 5;
    static final int RTNLGRP_IPV4_ROUTE = 7;
    static final int RTNLGRP_IPV6_IFADDR = 9;
    static final int RTNLGRP_IPV6_ROUTE = 11;
    static final int IFLA_ADDRESS = 1;
    static final int IFLA_IFNAME = 3;
    static final int IFLA_MTU = 4;
    static final int IFLA_EXT_MASK = 29;
    static final int IFLA_AF_SPEC = 26;
    /** {@code IFLA_INET6_ADDR_GEN_MODE}, inside {@code IFLA_AF_SPEC} / {@code AF_INET6}. */
    static final int IFLA_INET6_ADDR_GEN_MODE = 8;
    /** {@code IN6_ADDR_GEN_MODE_NONE}: no link-local address, hence no router solicitations. */
    static final byte IN6_ADDR_GEN_MODE_NONE = 1;

    static final int RTEXT_FILTER_SKIP_STATS = 1 << 3;
    static final int IFLA_LINKINFO = 18;
    /** {@code IFLA_INFO_KIND}, inside {@code IFLA_LINKINFO}: the link type, e.g. {@code "wireguard"}. */
    static final int IFLA_INFO_KIND = 1;

    // <linux/genetlink.h>
    static final short GENL_ID_CTRL = 0x10;
    static final byte CTRL_CMD_GETFAMILY = 3;
    static final short CTRL_ATTR_FAMILY_ID = 1;
    static final short CTRL_ATTR_FAMILY_NAME = 2;

    // <linux/wireguard.h>: the kernel WireGuard's generic netlink family
    static final String WG_GENL_NAME = "wireguard";
    static final byte WG_GENL_VERSION = 1;
    static final byte WG_CMD_GET_DEVICE = 0;
    static final byte WG_CMD_SET_DEVICE = 1;
    static final int WGDEVICE_F_REPLACE_PEERS = 1;
    static final short WGDEVICE_A_IFINDEX = 1;
    static final short WGDEVICE_A_IFNAME = 2;
    static final short WGDEVICE_A_PRIVATE_KEY = 3;
    static final short WGDEVICE_A_PUBLIC_KEY = 4;
    static final short WGDEVICE_A_FLAGS = 5;
    static final short WGDEVICE_A_LISTEN_PORT = 6;
    static final short WGDEVICE_A_FWMARK = 7;
    static final short WGDEVICE_A_PEERS = 8;
    static final int WGPEER_F_REMOVE_ME = 1;
    static final int WGPEER_F_REPLACE_ALLOWEDIPS = 1 << 1;
    static final int WGPEER_F_UPDATE_ONLY = 1 << 2;
    static final short WGPEER_A_PUBLIC_KEY = 1;
    static final short WGPEER_A_PRESHARED_KEY = 2;
    static final short WGPEER_A_FLAGS = 3;
    static final short WGPEER_A_ENDPOINT = 4;
    static final short WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL = 5;
    static final short WGPEER_A_LAST_HANDSHAKE_TIME = 6;
    static final short WGPEER_A_RX_BYTES = 7;
    static final short WGPEER_A_TX_BYTES = 8;
    static final short WGPEER_A_ALLOWEDIPS = 9;
    static final short WGPEER_A_PROTOCOL_VERSION = 10;
    static final short WGALLOWEDIP_A_FAMILY = 1;
    static final short WGALLOWEDIP_A_IPADDR = 2;
    static final short WGALLOWEDIP_A_CIDR_MASK = 3;
    /** {@code NLA_F_NESTED}: set by {@code mnl_attr_nest_start}, required by the kernel's WireGuard policy. */
    static final int NLA_F_NESTED = 1 << 15;

    /** {@code struct sockaddr_in}: 16 bytes; {@code struct sockaddr_in6}: 28. Family in host order, port in network order. */
    static final int SOCKADDR_IN_SIZE = 16;

    static final int SOCKADDR_IN6_SIZE = 28;

    /** {@code struct __kernel_timespec}: two s64, seconds and nanoseconds. */
    static final int KERNEL_TIMESPEC_SIZE = 16;

    // <linux/sock_diag.h>, <linux/inet_diag.h>
    static final short SOCK_DIAG_BY_FAMILY = 20;
    static final short SOCK_DESTROY = 21;
    static final short INET_DIAG_REQ_BYTECODE = 1;
    static final int INET_DIAG_CGROUP_ID = 21;
    static final byte INET_DIAG_BC_JMP = 1;
    static final byte INET_DIAG_BC_CGROUP_COND = 13;
    /** {@code struct inet_diag_bc_op {u8 code; u8 yes; u16 no;}}: 4 bytes, arguments follow. */
    static final int INET_DIAG_BC_OP_SIZE = 4;

    /**
     * {@code struct inet_diag_sockid}: 48 bytes. Ports and addresses in network order; an IPv4 socket
     * uses the first 4 bytes of each address; the cookie is opaque (two u32 as the kernel saved them).
     */
    static final StructLayout INET_DIAG_SOCKID = MemoryLayout.structLayout(
                    JAVA_SHORT.withName("idiag_sport"),
                    JAVA_SHORT.withName("idiag_dport"),
                    MemoryLayout.sequenceLayout(16, JAVA_BYTE).withName("idiag_src"),
                    MemoryLayout.sequenceLayout(16, JAVA_BYTE).withName("idiag_dst"),
                    JAVA_INT.withName("idiag_if"),
                    MemoryLayout.sequenceLayout(8, JAVA_BYTE).withName("idiag_cookie"))
            .withName("inet_diag_sockid");

    /** {@code struct inet_diag_req_v2}: 56 bytes, the request of a dump and of {@code SOCK_DESTROY}. */
    static final StructLayout INET_DIAG_REQ_V2 = MemoryLayout.structLayout(
                    JAVA_BYTE.withName("sdiag_family"),
                    JAVA_BYTE.withName("sdiag_protocol"),
                    JAVA_BYTE.withName("idiag_ext"),
                    JAVA_BYTE.withName("pad"),
                    JAVA_INT.withName("idiag_states"),
                    INET_DIAG_SOCKID.withName("id"))
            .withName("inet_diag_req_v2");

    /** {@code struct inet_diag_msg}: 72 bytes, one dumped socket; attributes follow. */
    static final StructLayout INET_DIAG_MSG = MemoryLayout.structLayout(
                    JAVA_BYTE.withName("idiag_family"),
                    JAVA_BYTE.withName("idiag_state"),
                    JAVA_BYTE.withName("idiag_timer"),
                    JAVA_BYTE.withName("idiag_retrans"),
                    INET_DIAG_SOCKID.withName("id"),
                    JAVA_INT.withName("idiag_expires"),
                    JAVA_INT.withName("idiag_rqueue"),
                    JAVA_INT.withName("idiag_wqueue"),
                    JAVA_INT.withName("idiag_uid"),
                    JAVA_INT.withName("idiag_inode"))
            .withName("inet_diag_msg");

    /** {@code struct nlmsghdr}: 16 bytes. */
    static final StructLayout NLMSGHDR = MemoryLayout.structLayout(
                    JAVA_INT.withName("nlmsg_len"),
                    JAVA_SHORT.withName("nlmsg_type"),
                    JAVA_SHORT.withName("nlmsg_flags"),
                    JAVA_INT.withName("nlmsg_seq"),
                    JAVA_INT.withName("nlmsg_pid"))
            .withName("nlmsghdr");

    /** {@code struct nlattr} (same shape as {@code struct rtattr}): 4 bytes, payload follows aligned to 4. */
    static final StructLayout NLATTR = MemoryLayout.structLayout(
                    JAVA_SHORT.withName("nla_len"), JAVA_SHORT.withName("nla_type"))
            .withName("nlattr");

    /** {@code struct nlmsgerr}: the error code and the header of the request it answers. */
    static final StructLayout NLMSGERR = MemoryLayout.structLayout(JAVA_INT.withName("error"), NLMSGHDR.withName("msg"))
            .withName("nlmsgerr");

    /** {@code struct ifinfomsg}: 16 bytes, one byte of padding after the family. */
    static final StructLayout IFINFOMSG = MemoryLayout.structLayout(
                    JAVA_BYTE.withName("ifi_family"),
                    MemoryLayout.paddingLayout(1),
                    JAVA_SHORT.withName("ifi_type"),
                    JAVA_INT.withName("ifi_index"),
                    JAVA_INT.withName("ifi_flags"),
                    JAVA_INT.withName("ifi_change"))
            .withName("ifinfomsg");

    /** {@code struct ifaddrmsg}: 8 bytes. */
    static final StructLayout IFADDRMSG = MemoryLayout.structLayout(
                    JAVA_BYTE.withName("ifa_family"),
                    JAVA_BYTE.withName("ifa_prefixlen"),
                    JAVA_BYTE.withName("ifa_flags"),
                    JAVA_BYTE.withName("ifa_scope"),
                    JAVA_INT.withName("ifa_index"))
            .withName("ifaddrmsg");

    /** {@code struct rtmsg}: 12 bytes. */
    static final StructLayout RTMSG = MemoryLayout.structLayout(
                    JAVA_BYTE.withName("rtm_family"),
                    JAVA_BYTE.withName("rtm_dst_len"),
                    JAVA_BYTE.withName("rtm_src_len"),
                    JAVA_BYTE.withName("rtm_tos"),
                    JAVA_BYTE.withName("rtm_table"),
                    JAVA_BYTE.withName("rtm_protocol"),
                    JAVA_BYTE.withName("rtm_scope"),
                    JAVA_BYTE.withName("rtm_type"),
                    JAVA_INT.withName("rtm_flags"))
            .withName("rtmsg");

    /** {@code struct genlmsghdr}: 4 bytes. */
    static final StructLayout GENLMSGHDR = MemoryLayout.structLayout(
                    JAVA_BYTE.withName("cmd"), JAVA_BYTE.withName("version"), JAVA_SHORT.withName("reserved"))
            .withName("genlmsghdr");

    static final long NLMSG_LEN = offset(NLMSGHDR, "nlmsg_len");
    static final long NLMSG_TYPE = offset(NLMSGHDR, "nlmsg_type");
    static final long NLMSG_FLAGS = offset(NLMSGHDR, "nlmsg_flags");
    static final long NLMSG_SEQ = offset(NLMSGHDR, "nlmsg_seq");
    static final long NLMSG_HDRLEN = align(NLMSGHDR.byteSize());
    static final long NLA_HDRLEN = align(NLATTR.byteSize());
    static final long IFI_TYPE = offset(IFINFOMSG, "ifi_type");
    static final long IFI_INDEX = offset(IFINFOMSG, "ifi_index");
    static final long IFI_FLAGS = offset(IFINFOMSG, "ifi_flags");
    static final long IFI_CHANGE = offset(IFINFOMSG, "ifi_change");
    static final long IFA_PREFIXLEN = offset(IFADDRMSG, "ifa_prefixlen");
    static final long IFA_FLAGS_OFFSET = offset(IFADDRMSG, "ifa_flags");
    static final long IFA_SCOPE = offset(IFADDRMSG, "ifa_scope");
    static final long IFA_INDEX = offset(IFADDRMSG, "ifa_index");
    static final long RTM_DST_LEN = offset(RTMSG, "rtm_dst_len");
    static final long RTM_TABLE = offset(RTMSG, "rtm_table");
    static final long RTM_PROTOCOL = offset(RTMSG, "rtm_protocol");
    static final long RTM_SCOPE = offset(RTMSG, "rtm_scope");
    static final long RTM_TYPE = offset(RTMSG, "rtm_type");
    static final long RTM_FLAGS = offset(RTMSG, "rtm_flags");

    /** {@code int (*mnl_cb_t)(const struct nlmsghdr *nlh, void *data)}. */
    static final FunctionDescriptor MNL_CB_T = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS);

    static MethodHandle mnl_socket_open2$MH() {
        return mnl_socket_open2$Holder.MH;
    }

    private static final class mnl_socket_open2$Holder {
        static final MethodHandle MH =
                downcall("mnl_socket_open2", FunctionDescriptor.of(ADDRESS, JAVA_INT, JAVA_INT), ERRNO_OPTION);
    }

    static MethodHandle mnl_socket_bind$MH() {
        return mnl_socket_bind$Holder.MH;
    }

    private static final class mnl_socket_bind$Holder {
        static final MethodHandle MH =
                downcall("mnl_socket_bind", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), ERRNO_OPTION);
    }

    static MethodHandle mnl_socket_close$MH() {
        return mnl_socket_close$Holder.MH;
    }

    private static final class mnl_socket_close$Holder {
        static final MethodHandle MH =
                downcall("mnl_socket_close", FunctionDescriptor.of(JAVA_INT, ADDRESS), ERRNO_OPTION);
    }
    /** {@code int mnl_socket_setsockopt(const struct mnl_socket *nl, int type, void *buf, socklen_t len)}: SOL_NETLINK. */
    static MethodHandle mnl_socket_setsockopt$MH() {
        return mnl_socket_setsockopt$Holder.MH;
    }

    private static final class mnl_socket_setsockopt$Holder {
        static final MethodHandle MH = downcall(
                "mnl_socket_setsockopt",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT),
                ERRNO_OPTION);
    }

    static MethodHandle mnl_socket_get_fd$MH() {
        return mnl_socket_get_fd$Holder.MH;
    }

    private static final class mnl_socket_get_fd$Holder {
        static final MethodHandle MH = downcall("mnl_socket_get_fd", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    static MethodHandle mnl_socket_get_portid$MH() {
        return mnl_socket_get_portid$Holder.MH;
    }

    private static final class mnl_socket_get_portid$Holder {
        static final MethodHandle MH = downcall("mnl_socket_get_portid", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    static MethodHandle mnl_socket_sendto$MH() {
        return mnl_socket_sendto$Holder.MH;
    }

    private static final class mnl_socket_sendto$Holder {
        static final MethodHandle MH = downcall(
                "mnl_socket_sendto", FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG), ERRNO_OPTION);
    }

    static MethodHandle mnl_socket_recvfrom$MH() {
        return mnl_socket_recvfrom$Holder.MH;
    }

    private static final class mnl_socket_recvfrom$Holder {
        static final MethodHandle MH = downcall(
                "mnl_socket_recvfrom", FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG), ERRNO_OPTION);
    }

    static MethodHandle mnl_nlmsg_put_header$MH() {
        return mnl_nlmsg_put_header$Holder.MH;
    }

    private static final class mnl_nlmsg_put_header$Holder {
        static final MethodHandle MH = downcall("mnl_nlmsg_put_header", FunctionDescriptor.of(ADDRESS, ADDRESS));
    }

    static MethodHandle mnl_nlmsg_put_extra_header$MH() {
        return mnl_nlmsg_put_extra_header$Holder.MH;
    }

    private static final class mnl_nlmsg_put_extra_header$Holder {
        static final MethodHandle MH =
                downcall("mnl_nlmsg_put_extra_header", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG));
    }

    static MethodHandle mnl_attr_put$MH() {
        return mnl_attr_put$Holder.MH;
    }

    private static final class mnl_attr_put$Holder {
        static final MethodHandle MH =
                downcall("mnl_attr_put", FunctionDescriptor.ofVoid(ADDRESS, JAVA_SHORT, JAVA_LONG, ADDRESS));
    }

    static MethodHandle mnl_attr_put_u8$MH() {
        return mnl_attr_put_u8$Holder.MH;
    }

    private static final class mnl_attr_put_u8$Holder {
        static final MethodHandle MH =
                downcall("mnl_attr_put_u8", FunctionDescriptor.ofVoid(ADDRESS, JAVA_SHORT, JAVA_BYTE));
    }

    static MethodHandle mnl_attr_put_u16$MH() {
        return mnl_attr_put_u16$Holder.MH;
    }

    private static final class mnl_attr_put_u16$Holder {
        static final MethodHandle MH =
                downcall("mnl_attr_put_u16", FunctionDescriptor.ofVoid(ADDRESS, JAVA_SHORT, JAVA_SHORT));
    }

    static MethodHandle mnl_attr_put_u32$MH() {
        return mnl_attr_put_u32$Holder.MH;
    }

    private static final class mnl_attr_put_u32$Holder {
        static final MethodHandle MH =
                downcall("mnl_attr_put_u32", FunctionDescriptor.ofVoid(ADDRESS, JAVA_SHORT, JAVA_INT));
    }

    static MethodHandle mnl_attr_put_u64$MH() {
        return mnl_attr_put_u64$Holder.MH;
    }

    private static final class mnl_attr_put_u64$Holder {
        static final MethodHandle MH =
                downcall("mnl_attr_put_u64", FunctionDescriptor.ofVoid(ADDRESS, JAVA_SHORT, JAVA_LONG));
    }

    static MethodHandle mnl_attr_put_strz$MH() {
        return mnl_attr_put_strz$Holder.MH;
    }

    private static final class mnl_attr_put_strz$Holder {
        static final MethodHandle MH =
                downcall("mnl_attr_put_strz", FunctionDescriptor.ofVoid(ADDRESS, JAVA_SHORT, ADDRESS));
    }

    static MethodHandle mnl_attr_nest_start$MH() {
        return mnl_attr_nest_start$Holder.MH;
    }

    private static final class mnl_attr_nest_start$Holder {
        static final MethodHandle MH =
                downcall("mnl_attr_nest_start", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_SHORT));
    }

    static MethodHandle mnl_attr_nest_end$MH() {
        return mnl_attr_nest_end$Holder.MH;
    }

    private static final class mnl_attr_nest_end$Holder {
        static final MethodHandle MH = downcall("mnl_attr_nest_end", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS));
    }
    /**
     * {@code int mnl_cb_run(const void *buf, size_t numbytes, unsigned int seq, unsigned int portid,
     * mnl_cb_t cb_data, void *data)}: -1 with errno on an error message or a sequence/port mismatch,
     * {@link #MNL_CB_STOP} at the end of a dump, {@link #MNL_CB_OK} when more is to come.
     */
    static MethodHandle mnl_cb_run$MH() {
        return mnl_cb_run$Holder.MH;
    }

    private static final class mnl_cb_run$Holder {
        static final MethodHandle MH = downcall(
                "mnl_cb_run",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS),
                ERRNO_OPTION);
    }

    static MemorySegment allocateCallState(Arena arena) {
        return Libc.allocateCallState(arena);
    }

    static int errno(MemorySegment callState) {
        return Libc.errno(callState);
    }

    /** {@code MNL_ALIGN}. */
    static long align(long length) {
        return (length + MNL_ALIGNTO - 1) & ~(long) (MNL_ALIGNTO - 1);
    }

    /**
     * A pointer libmnl or the kernel handed us, viewed as {@code size} bytes. The one place this module
     * trusts a native size ({@code MemorySegment.reinterpret}), so it stays next to the bindings.
     */
    static MemorySegment view(MemorySegment pointer, long size) {
        if (pointer.equals(MemorySegment.NULL)) {
            throw new IllegalStateException("libmnl returned NULL");
        }
        return pointer.reinterpret(size);
    }

    /** An upcall stub for a {@code mnl_cb_t}, valid as long as {@code arena}. */
    static MemorySegment callback(MethodHandle target, Arena arena) {
        return NativeLibrary.upcall(target, MNL_CB_T, arena);
    }

    /**
     * libmnl has no version function. What we can state truthfully is which file the dynamic linker
     * loaded and which Debian package (and version) installed it.
     */
    static String version() {
        return LoadedLibrary.find(SONAME)
                .map(LoadedLibrary::describe)
                .orElse(SONAME + " (loaded from an unknown file)");
    }

    private static long offset(StructLayout layout, String field) {
        return layout.byteOffset(MemoryLayout.PathElement.groupElement(field));
    }

    private static MethodHandle downcall(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        return LIBRARY.downcall(name, descriptor, options);
    }
}
