package dev.wgpr.routes.netlink;

import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import dev.wgpr.common.net.IpPrefix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * rtnetlink ({@code NETLINK_ROUTE}) through libmnl, in the network namespace of the calling thread at
 * the time of {@link #open()}. Reading links, routes and lookups needs no privileges; changes need
 * {@code CAP_NET_ADMIN}. Every change asks for the kernel's ACK, so a refused change throws an {@link
 * ErrnoException} that carries the errno and names what was attempted.
 */
public final class RtNetlink implements AutoCloseable {
    private final NetlinkSocket socket;

    private RtNetlink(NetlinkSocket socket) {
        this.socket = socket;
    }

    public static RtNetlink open() throws ErrnoException {
        return new RtNetlink(NetlinkSocket.open(Libmnl.NETLINK_ROUTE, "rtnetlink"));
    }

    /** Every interface: {@code RTM_GETLINK} with {@code NLM_F_DUMP}, in the kernel's order (by index). */
    public List<Link> links() throws ErrnoException {
        List<Link> links = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            NetlinkRequest request = socket.request(arena, Libmnl.RTM_GETLINK, Libmnl.NLM_F_DUMP);
            request.putExtraHeader(Libmnl.IFINFOMSG.byteSize()).set(ValueLayout.JAVA_BYTE, 0, (byte) 0); // AF_UNSPEC
            request.putU32((short) Libmnl.IFLA_EXT_MASK, Libmnl.RTEXT_FILTER_SKIP_STATS);
            socket.exchange(request, "RTM_GETLINK dump", message -> {
                if (message.type() == Libmnl.RTM_NEWLINK) {
                    links.add(parseLink(message));
                }
            });
        }
        return links;
    }

    /** The interface called {@code name}, or empty when there is none ({@code ENODEV}). */
    public Optional<Link> link(String name) throws ErrnoException {
        if (name.isEmpty() || name.length() >= Libc.IFNAMSIZ) {
            return Optional.empty();
        }
        List<Link> found = new ArrayList<>(1);
        try (Arena arena = Arena.ofConfined()) {
            NetlinkRequest request = socket.request(arena, Libmnl.RTM_GETLINK, Libmnl.NLM_F_ACK);
            request.putExtraHeader(Libmnl.IFINFOMSG.byteSize());
            request.putStrz((short) Libmnl.IFLA_IFNAME, name);
            request.putU32((short) Libmnl.IFLA_EXT_MASK, Libmnl.RTEXT_FILTER_SKIP_STATS);
            socket.exchange(request, "RTM_GETLINK " + name, message -> {
                if (message.type() == Libmnl.RTM_NEWLINK) {
                    found.add(parseLink(message));
                }
            });
        } catch (ErrnoException e) {
            if (e.errno() == Libc.ENODEV) {
                return Optional.empty();
            }
            throw e;
        }
        return found.stream().findFirst();
    }

    /**
     * Creates interface {@code name} of link type {@code kind} ({@code ip link add NAME type KIND}), down;
     * {@code EEXIST} if an interface has that name, {@code EOPNOTSUPP} when the kernel has no such type (it
     * tries to load the module {@code rtnl-link-KIND} first).
     */
    public void addLink(String name, String kind) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            NetlinkRequest request = socket.request(
                    arena, Libmnl.RTM_NEWLINK, (short) (Libmnl.NLM_F_ACK | Libmnl.NLM_F_CREATE | Libmnl.NLM_F_EXCL));
            request.putExtraHeader(Libmnl.IFINFOMSG.byteSize());
            request.putStrz((short) Libmnl.IFLA_IFNAME, name);
            request.putNested((short) Libmnl.IFLA_LINKINFO, info -> info.putStrz((short) Libmnl.IFLA_INFO_KIND, kind));
            socket.exchange(request, "add link " + name + " type " + kind, ignored -> {});
        }
    }

    /** Deletes interface {@code index} ({@code ip link del}); {@code ENODEV} when it is gone already. */
    public void deleteLink(int index) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            NetlinkRequest request = socket.request(arena, Libmnl.RTM_DELLINK, Libmnl.NLM_F_ACK);
            request.putExtraHeader(Libmnl.IFINFOMSG.byteSize()).set(ValueLayout.JAVA_INT, Libmnl.IFI_INDEX, index);
            socket.exchange(request, "delete interface #" + index, ignored -> {});
        }
    }

    /** Sets the MTU of interface {@code index} ({@code RTM_NEWLINK} with {@code IFLA_MTU}). */
    public void setMtu(int index, int mtu) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            NetlinkRequest request = socket.request(arena, Libmnl.RTM_NEWLINK, Libmnl.NLM_F_ACK);
            MemorySegment ifinfo = request.putExtraHeader(Libmnl.IFINFOMSG.byteSize());
            ifinfo.set(ValueLayout.JAVA_INT, Libmnl.IFI_INDEX, index);
            request.putU32((short) Libmnl.IFLA_MTU, mtu);
            socket.exchange(request, "set MTU " + mtu + " on interface #" + index, ignored -> {});
        }
    }

    /**
     * Gives interface {@code index} no IPv6 link-local address ({@code ip link set dev X addrgenmode
     * none}), as the kernel's own WireGuard devices have none: a TUN device would otherwise get a
     * random one and the kernel would send router solicitations and MLD reports into the tunnel.
     * Takes effect when the link comes up. Where the kernel runs without IPv6, there is nothing to do.
     */
    public void disableIpv6LinkLocal(int index) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            NetlinkRequest request = socket.request(arena, Libmnl.RTM_NEWLINK, Libmnl.NLM_F_ACK);
            MemorySegment ifinfo = request.putExtraHeader(Libmnl.IFINFOMSG.byteSize());
            ifinfo.set(ValueLayout.JAVA_INT, Libmnl.IFI_INDEX, index);
            request.putNested(
                    (short) Libmnl.IFLA_AF_SPEC,
                    spec -> spec.putNested(
                            (short) Libc.AF_INET6,
                            inet6 -> inet6.putU8(
                                    (short) Libmnl.IFLA_INET6_ADDR_GEN_MODE, Libmnl.IN6_ADDR_GEN_MODE_NONE)));
            socket.exchange(request, "set addrgenmode none on interface #" + index, ignored -> {});
        } catch (ErrnoException e) {
            if (e.errno() != Libc.EAFNOSUPPORT) {
                throw e;
            }
        }
    }

    /** Sets interface {@code index} administratively up or down ({@code ip link set dev X up|down}). */
    public void setUp(int index, boolean up) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            NetlinkRequest request = socket.request(arena, Libmnl.RTM_NEWLINK, Libmnl.NLM_F_ACK);
            MemorySegment ifinfo = request.putExtraHeader(Libmnl.IFINFOMSG.byteSize());
            ifinfo.set(ValueLayout.JAVA_INT, Libmnl.IFI_INDEX, index);
            ifinfo.set(ValueLayout.JAVA_INT, Libmnl.IFI_FLAGS, up ? Link.IFF_UP : 0);
            ifinfo.set(ValueLayout.JAVA_INT, Libmnl.IFI_CHANGE, Link.IFF_UP);
            socket.exchange(request, "set interface #" + index + (up ? " up" : " down"), ignored -> {});
        }
    }

    /**
     * Adds {@code address} to interface {@code index} ({@code ip address add}). {@code noDad} sets
     * {@code IFA_F_NODAD} on an IPv6 address, so it is usable at once (right for a point-to-point tunnel,
     * where nobody else can hold it); it is ignored for IPv4. {@code EEXIST} if it is already there.
     */
    public void addAddress(int index, InterfaceAddress address, boolean noDad) throws ErrnoException {
        addressRequest(
                Libmnl.RTM_NEWADDR,
                (short) (Libmnl.NLM_F_ACK | Libmnl.NLM_F_CREATE | Libmnl.NLM_F_EXCL),
                index,
                address,
                noDad && !address.isIpv4(),
                "add address " + address + " to interface #" + index);
    }

    /** Removes {@code address} from interface {@code index}; {@code EADDRNOTAVAIL} when it is not there. */
    public void removeAddress(int index, InterfaceAddress address) throws ErrnoException {
        addressRequest(
                Libmnl.RTM_DELADDR,
                Libmnl.NLM_F_ACK,
                index,
                address,
                false,
                "remove address " + address + " from interface #" + index);
    }

    private void addressRequest(
            short type, short flags, int index, InterfaceAddress address, boolean noDad, String what)
            throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            NetlinkRequest request = socket.request(arena, type, flags);
            MemorySegment ifa = request.putExtraHeader(Libmnl.IFADDRMSG.byteSize());
            ifa.set(ValueLayout.JAVA_BYTE, 0, (byte) family(address.address()));
            ifa.set(ValueLayout.JAVA_BYTE, Libmnl.IFA_PREFIXLEN, (byte) address.prefixLength());
            ifa.set(ValueLayout.JAVA_BYTE, Libmnl.IFA_FLAGS_OFFSET, (byte) (noDad ? Libmnl.IFA_F_NODAD : 0));
            ifa.set(ValueLayout.JAVA_INT, Libmnl.IFA_INDEX, index);
            byte[] bytes = address.address().getAddress();
            request.putBytes((short) Libmnl.IFA_LOCAL, bytes);
            request.putBytes((short) Libmnl.IFA_ADDRESS, bytes);
            if (noDad) {
                request.putU32((short) Libmnl.IFA_FLAGS, Libmnl.IFA_F_NODAD);
            }
            socket.exchange(request, what, ignored -> {});
        }
    }

    /**
     * Adds {@code route} ({@code ip route add}, never replacing: {@code NLM_F_CREATE | NLM_F_EXCL}).
     * {@code EEXIST} if the same route (prefix, metric, table; for IPv6 also the next hop) is there.
     */
    public void addRoute(Route route) throws ErrnoException {
        routeRequest(
                Libmnl.RTM_NEWROUTE,
                (short) (Libmnl.NLM_F_ACK | Libmnl.NLM_F_CREATE | Libmnl.NLM_F_EXCL),
                route,
                "add route " + route);
    }

    /**
     * Removes the route that matches {@code route}'s prefix, table, metric, type, protocol, interface
     * and gateway ({@code ip route del}); {@code ESRCH} when there is none.
     */
    public void removeRoute(Route route) throws ErrnoException {
        routeRequest(Libmnl.RTM_DELROUTE, Libmnl.NLM_F_ACK, route, "remove route " + route);
    }

    private void routeRequest(short type, short flags, Route route, String what) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            NetlinkRequest request = socket.request(arena, type, flags);
            MemorySegment rtm = request.putExtraHeader(Libmnl.RTMSG.byteSize());
            rtm.set(ValueLayout.JAVA_BYTE, 0, (byte) family(route.destination().address()));
            rtm.set(ValueLayout.JAVA_BYTE, Libmnl.RTM_DST_LEN, (byte)
                    route.destination().length());
            rtm.set(ValueLayout.JAVA_BYTE, Libmnl.RTM_TABLE, (byte)
                    (route.table() < 256 ? route.table() : Libmnl.RT_TABLE_UNSPEC));
            rtm.set(ValueLayout.JAVA_BYTE, Libmnl.RTM_PROTOCOL, (byte) route.protocol());
            rtm.set(ValueLayout.JAVA_BYTE, Libmnl.RTM_SCOPE, (byte) route.scope());
            rtm.set(ValueLayout.JAVA_BYTE, Libmnl.RTM_TYPE, (byte) route.type().kernelValue());
            if (route.destination().length() > 0) {
                request.putBytes(
                        (short) Libmnl.RTA_DST, route.destination().address().getAddress());
            }
            request.putU32((short) Libmnl.RTA_TABLE, route.table());
            if (route.interfaceIndex() != 0) {
                request.putU32((short) Libmnl.RTA_OIF, route.interfaceIndex());
            }
            if (route.gateway().isPresent()) {
                request.putBytes(
                        (short) Libmnl.RTA_GATEWAY, route.gateway().get().getAddress());
            }
            request.putU32((short) Libmnl.RTA_PRIORITY, route.metric());
            if (route.preferredSource().isPresent()) {
                request.putBytes(
                        (short) Libmnl.RTA_PREFSRC,
                        route.preferredSource().get().getAddress());
            }
            socket.exchange(request, what, ignored -> {});
        }
    }

    /** Adds {@code rule} ({@code ip rule add}, {@code NLM_F_EXCL}: {@code EEXIST} when the same rule is there). */
    public void addRule(Rule rule) throws ErrnoException {
        ruleRequest(
                Libmnl.RTM_NEWRULE,
                (short) (Libmnl.NLM_F_ACK | Libmnl.NLM_F_CREATE | Libmnl.NLM_F_EXCL),
                rule,
                "add rule " + rule);
    }

    /** Removes the rule that matches {@code rule} ({@code ip rule del}); {@code ENOENT} when there is none. */
    public void removeRule(Rule rule) throws ErrnoException {
        ruleRequest(Libmnl.RTM_DELRULE, Libmnl.NLM_F_ACK, rule, "remove rule " + rule);
    }

    private void ruleRequest(short type, short flags, Rule rule, String what) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            NetlinkRequest request = socket.request(arena, type, flags);
            MemorySegment frh = request.putExtraHeader(Libmnl.FIB_RULE_HDR_SIZE);
            frh.set(ValueLayout.JAVA_BYTE, 0, (byte) (rule.ipv4() ? Libc.AF_INET : Libc.AF_INET6));
            frh.set(ValueLayout.JAVA_BYTE, Libmnl.FRH_TABLE, (byte)
                    (Integer.compareUnsigned(rule.table(), 256) < 0 ? rule.table() : Libmnl.RT_TABLE_UNSPEC));
            frh.set(ValueLayout.JAVA_BYTE, Libmnl.FRH_ACTION, (byte) Libmnl.FR_ACT_TO_TBL);
            request.putU32((short) Libmnl.FRA_PRIORITY, rule.priority());
            request.putU32((short) Libmnl.FRA_FWMARK, rule.mark());
            request.putU32((short) Libmnl.FRA_FWMASK, rule.mask());
            request.putU32((short) Libmnl.FRA_TABLE, rule.table());
            socket.exchange(request, what, ignored -> {});
        }
    }

    /** The fwmark rules of one family ({@code ip rule}); rules without a mark are left out. */
    public List<Rule> rules(boolean ipv4) throws ErrnoException {
        List<Rule> rules = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            NetlinkRequest request = socket.request(arena, Libmnl.RTM_GETRULE, Libmnl.NLM_F_DUMP);
            MemorySegment frh = request.putExtraHeader(Libmnl.FIB_RULE_HDR_SIZE);
            frh.set(ValueLayout.JAVA_BYTE, 0, (byte) (ipv4 ? Libc.AF_INET : Libc.AF_INET6));
            socket.exchange(request, "RTM_GETRULE dump " + (ipv4 ? "IPv4" : "IPv6"), message -> {
                if (message.type() != Libmnl.RTM_NEWRULE) {
                    return;
                }
                int table = Byte.toUnsignedInt(message.payload().get(ValueLayout.JAVA_BYTE, Libmnl.FRH_TABLE));
                int priority = 0;
                Integer mark = null;
                int mask = -1;
                for (NetlinkMessage.Attribute attribute : message.attributes(Libmnl.FIB_RULE_HDR_SIZE)) {
                    switch (attribute.type()) {
                        case Libmnl.FRA_PRIORITY -> priority = attribute.u32();
                        case Libmnl.FRA_FWMARK -> mark = attribute.u32();
                        case Libmnl.FRA_FWMASK -> mask = attribute.u32();
                        case Libmnl.FRA_TABLE -> table = attribute.u32();
                        default -> {}
                    }
                }
                if (mark != null) {
                    rules.add(new Rule(ipv4, priority, mark, mask, table));
                }
            });
        }
        return rules;
    }

    /** The routes of table {@code table} ({@link Route#MAIN_TABLE} for what {@code ip route} shows) of one family. */
    public List<Route> routes(boolean ipv4, int table) throws ErrnoException {
        List<Route> routes = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            NetlinkRequest request = socket.request(arena, Libmnl.RTM_GETROUTE, Libmnl.NLM_F_DUMP);
            MemorySegment rtm = request.putExtraHeader(Libmnl.RTMSG.byteSize());
            rtm.set(ValueLayout.JAVA_BYTE, 0, (byte) (ipv4 ? Libc.AF_INET : Libc.AF_INET6));
            socket.exchange(request, "RTM_GETROUTE dump " + (ipv4 ? "IPv4" : "IPv6"), message -> {
                if (message.type() == Libmnl.RTM_NEWROUTE) {
                    Route route = parseRoute(message);
                    if (route.table() == table) {
                        routes.add(route);
                    }
                }
            });
        }
        return routes;
    }

    /** The IPv4 and IPv6 routes of the main table, as {@code ip route} and {@code ip -6 route} list them. */
    public List<Route> mainRoutes() throws ErrnoException {
        List<Route> routes = new ArrayList<>(routes(true, Route.MAIN_TABLE));
        routes.addAll(routes(false, Route.MAIN_TABLE));
        return routes;
    }

    /**
     * The kernel's route to {@code destination}, as {@code ip route get} asks for it, plus the FIB
     * entry that matched ({@code RTM_F_FIB_MATCH}). A destination the kernel refuses (no route, an
     * {@code unreachable} route) is not an exception but a lookup with its {@link RouteLookup#errno()}.
     */
    public RouteLookup lookup(InetAddress destination) throws ErrnoException {
        List<Route> answer = new ArrayList<>(1);
        int errno = 0;
        try {
            answer.addAll(getRoute(destination, Libmnl.RTM_F_LOOKUP_TABLE)); // the real table, not just main
        } catch (ErrnoException e) {
            if (!isUnreachable(e.errno())) {
                throw e;
            }
            errno = e.errno();
        }
        Optional<Route> matched;
        try {
            matched = getRoute(destination, Libmnl.RTM_F_FIB_MATCH).stream().findFirst();
        } catch (ErrnoException e) {
            if (!isUnreachable(e.errno())) {
                throw e;
            }
            matched = Optional.empty();
        }
        if (answer.isEmpty()) {
            RouteType type = matched.map(Route::type).orElse(RouteType.UNSPEC);
            return new RouteLookup(destination, errno, type, 0, Optional.empty(), Optional.empty(), 0, matched);
        }
        Route route = answer.getFirst();
        return new RouteLookup(
                destination,
                0,
                route.type(),
                route.interfaceIndex(),
                route.gateway(),
                route.preferredSource(),
                route.table(),
                matched);
    }

    private static boolean isUnreachable(int errno) {
        return errno == Libc.ENETUNREACH
                || errno == Libc.EHOSTUNREACH
                || errno == Libc.EACCES // prohibit
                || errno == Libc.EINVAL; // blackhole
    }

    private List<Route> getRoute(InetAddress destination, int rtmFlags) throws ErrnoException {
        List<Route> answer = new ArrayList<>(1);
        try (Arena arena = Arena.ofConfined()) {
            NetlinkRequest request = socket.request(arena, Libmnl.RTM_GETROUTE, Libmnl.NLM_F_ACK);
            MemorySegment rtm = request.putExtraHeader(Libmnl.RTMSG.byteSize());
            byte[] bytes = destination.getAddress();
            rtm.set(ValueLayout.JAVA_BYTE, 0, (byte) family(destination));
            rtm.set(ValueLayout.JAVA_BYTE, Libmnl.RTM_DST_LEN, (byte) (bytes.length * 8));
            rtm.set(ValueLayout.JAVA_INT, Libmnl.RTM_FLAGS, rtmFlags);
            request.putBytes((short) Libmnl.RTA_DST, bytes);
            String what = "RTM_GETROUTE " + destination.getHostAddress()
                    + (rtmFlags == Libmnl.RTM_F_FIB_MATCH ? " fibmatch" : "");
            socket.exchange(request, what, message -> {
                if (message.type() == Libmnl.RTM_NEWROUTE) {
                    answer.add(parseRoute(message));
                }
            });
        }
        return answer;
    }

    /** {@code RTM_NEWROUTE} as a {@link Route}. */
    static Route parseRoute(NetlinkMessage message) {
        MemorySegment rtm = message.payload();
        int family = Byte.toUnsignedInt(rtm.get(ValueLayout.JAVA_BYTE, 0));
        int dstLength = Byte.toUnsignedInt(rtm.get(ValueLayout.JAVA_BYTE, Libmnl.RTM_DST_LEN));
        int table = Byte.toUnsignedInt(rtm.get(ValueLayout.JAVA_BYTE, Libmnl.RTM_TABLE));
        int protocol = Byte.toUnsignedInt(rtm.get(ValueLayout.JAVA_BYTE, Libmnl.RTM_PROTOCOL));
        int scope = Byte.toUnsignedInt(rtm.get(ValueLayout.JAVA_BYTE, Libmnl.RTM_SCOPE));
        RouteType type = RouteType.of(Byte.toUnsignedInt(rtm.get(ValueLayout.JAVA_BYTE, Libmnl.RTM_TYPE)));
        InetAddress destination = null;
        Optional<InetAddress> gateway = Optional.empty();
        Optional<InetAddress> source = Optional.empty();
        int oif = 0;
        int metric = 0;
        for (NetlinkMessage.Attribute attribute : message.attributes(Libmnl.RTMSG.byteSize())) {
            switch (attribute.type()) {
                case Libmnl.RTA_DST -> destination = attribute.address();
                case Libmnl.RTA_OIF -> oif = attribute.u32();
                case Libmnl.RTA_GATEWAY -> gateway = Optional.of(attribute.address());
                case Libmnl.RTA_PRIORITY -> metric = attribute.u32();
                case Libmnl.RTA_PREFSRC -> source = Optional.of(attribute.address());
                case Libmnl.RTA_TABLE -> table = attribute.u32();
                default -> {}
            }
        }
        if (destination == null) {
            destination = zero(family);
        }
        return new Route(
                IpPrefix.containing(destination, dstLength),
                type,
                oif,
                gateway,
                metric,
                table,
                protocol,
                scope,
                source);
    }

    private static InetAddress zero(int family) {
        try {
            return InetAddress.getByAddress(new byte[family == Libc.AF_INET6 ? 16 : 4]);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static int family(InetAddress address) {
        return address.getAddress().length == 4 ? Libc.AF_INET : Libc.AF_INET6;
    }

    /**
     * The libmnl this process loaded. libmnl has no version function, so this names the file and the
     * Debian package (with its version) that installed it.
     */
    public static String libmnlVersion() {
        return Libmnl.version();
    }

    @Override
    public void close() throws ErrnoException {
        socket.close();
    }

    private static Link parseLink(NetlinkMessage message) {
        MemorySegment ifinfo = message.payload();
        int index = ifinfo.get(ValueLayout.JAVA_INT, Libmnl.IFI_INDEX);
        int type = Short.toUnsignedInt(ifinfo.get(ValueLayout.JAVA_SHORT, Libmnl.IFI_TYPE));
        int flags = ifinfo.get(ValueLayout.JAVA_INT, Libmnl.IFI_FLAGS);
        String name = "";
        int mtu = 0;
        for (NetlinkMessage.Attribute attribute : message.attributes(Libmnl.IFINFOMSG.byteSize())) {
            switch (attribute.type()) {
                case Libmnl.IFLA_IFNAME -> name = attribute.string();
                case Libmnl.IFLA_MTU -> mtu = attribute.u32();
                default -> {}
            }
        }
        return new Link(index, name, type, flags, mtu);
    }
}
