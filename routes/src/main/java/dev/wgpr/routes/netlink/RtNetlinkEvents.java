package dev.wgpr.routes.netlink;

import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import java.lang.foreign.ValueLayout;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A netlink socket subscribed to the rtnetlink multicast groups of links, IPv4/IPv6 addresses and
 * IPv4/IPv6 routes, in the network namespace of the thread that {@linkplain #open() opened} it. Read
 * it from one thread with {@link #poll}.
 */
public final class RtNetlinkEvents implements AutoCloseable {
    private final NetlinkSocket socket;

    private RtNetlinkEvents(NetlinkSocket socket) {
        this.socket = socket;
    }

    public static RtNetlinkEvents open() throws ErrnoException {
        NetlinkSocket socket = NetlinkSocket.open(Libmnl.NETLINK_ROUTE, "rtnetlink monitor");
        try {
            socket.subscribe(
                    Libmnl.RTNLGRP_LINK,
                    Libmnl.RTNLGRP_IPV4_IFADDR,
                    Libmnl.RTNLGRP_IPV6_IFADDR,
                    Libmnl.RTNLGRP_IPV4_ROUTE,
                    Libmnl.RTNLGRP_IPV6_ROUTE);
            return new RtNetlinkEvents(socket);
        } catch (ErrnoException | RuntimeException e) {
            try {
                socket.close();
            } catch (ErrnoException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
    }

    /**
     * Waits up to {@code timeoutMillis} for notifications and hands each to {@code listener}; returns
     * whether any arrived. Lost notifications ({@code ENOBUFS}) are reported as {@link
     * RoutingEvent#overflow()}.
     */
    public boolean poll(int timeoutMillis, Consumer<RoutingEvent> listener) throws ErrnoException {
        try {
            return socket.receive(timeoutMillis, message -> toEvent(message).ifPresent(listener));
        } catch (ErrnoException e) {
            if (e.errno() == Libc.ENOBUFS) {
                listener.accept(RoutingEvent.overflow());
                return true;
            }
            throw e;
        }
    }

    private static Optional<RoutingEvent> toEvent(NetlinkMessage message) {
        short type = message.type();
        return switch (type) {
            case Libmnl.RTM_NEWLINK, Libmnl.RTM_DELLINK ->
                Optional.of(new RoutingEvent(
                        RoutingEvent.Kind.LINK,
                        type == Libmnl.RTM_DELLINK,
                        Optional.empty(),
                        message.payload().get(ValueLayout.JAVA_INT, Libmnl.IFI_INDEX)));
            case Libmnl.RTM_NEWADDR, Libmnl.RTM_DELADDR ->
                Optional.of(new RoutingEvent(
                        RoutingEvent.Kind.ADDRESS,
                        type == Libmnl.RTM_DELADDR,
                        Optional.empty(),
                        message.payload().get(ValueLayout.JAVA_INT, Libmnl.IFA_INDEX)));
            case Libmnl.RTM_NEWROUTE, Libmnl.RTM_DELROUTE -> {
                Route route = RtNetlink.parseRoute(message);
                yield Optional.of(new RoutingEvent(
                        RoutingEvent.Kind.ROUTE,
                        type == Libmnl.RTM_DELROUTE,
                        Optional.of(route),
                        route.interfaceIndex()));
            }
            default -> Optional.empty();
        };
    }

    @Override
    public void close() throws ErrnoException {
        socket.close();
    }
}
