package dev.wgpr.routes.netlink;

import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.function.Consumer;

/**
 * A libmnl netlink socket ({@code struct mnl_socket *}) bound to an automatic port id. Sends one
 * request at a time and feeds every answer to a Java callback through {@code mnl_cb_run} (an FFM
 * upcall), until the kernel's {@code NLMSG_DONE}, ACK or error. Not for concurrent use from several
 * threads; calls are serialized.
 */
final class NetlinkSocket implements AutoCloseable {
    private static final MethodHandle DISPATCH;

    static {
        try {
            DISPATCH = MethodHandles.lookup()
                    .findVirtual(
                            Dispatch.class,
                            "onMessage",
                            MethodType.methodType(int.class, MemorySegment.class, MemorySegment.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final String name;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment receiveBuffer;
    private MemorySegment socket;
    private final int portId;
    private int sequence = (int) (System.nanoTime() & 0x3fffffff);

    private NetlinkSocket(String name, MemorySegment socket) {
        this.name = name;
        this.socket = socket;
        this.receiveBuffer = arena.allocate(Libmnl.MNL_SOCKET_DUMP_SIZE, 8);
        try {
            this.portId = (int) Libmnl.mnl_socket_get_portid$MH().invokeExact(socket);
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    /** {@code mnl_socket_open2(bus, SOCK_CLOEXEC)} and {@code mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID)}. */
    static NetlinkSocket open(int bus, String name) throws ErrnoException {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = Libmnl.allocateCallState(call);
            MemorySegment socket =
                    (MemorySegment) Libmnl.mnl_socket_open2$MH().invokeExact(state, bus, Libc.SOCK_CLOEXEC);
            if (socket.equals(MemorySegment.NULL)) {
                throw new ErrnoException("mnl_socket_open2 " + name, Libmnl.errno(state));
            }
            int bound = (int) Libmnl.mnl_socket_bind$MH().invokeExact(state, socket, 0, Libmnl.MNL_SOCKET_AUTOPID);
            if (bound < 0) {
                int errno = Libmnl.errno(state);
                int ignored = (int) Libmnl.mnl_socket_close$MH().invokeExact(state, socket);
                throw new ErrnoException("mnl_socket_bind " + name + " (close: " + ignored + ")", errno);
            }
            return new NetlinkSocket(name, socket);
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    /** A new request of {@code type}; {@link Libmnl#NLM_F_REQUEST} is added to {@code flags}. */
    NetlinkRequest request(Arena arena, short type, short flags) {
        return new NetlinkRequest(arena, type, (short) (flags | Libmnl.NLM_F_REQUEST));
    }

    /**
     * Sends {@code request} and hands each answer to {@code onMessage} until the exchange is complete.
     * A request that is not a dump gets {@code NLM_F_ACK}, so it always ends with an ACK or an error.
     * The kernel's error comes back as an {@link ErrnoException} named after {@code what}.
     */
    synchronized void exchange(NetlinkRequest request, String what, Consumer<NetlinkMessage> onMessage)
            throws ErrnoException {
        MemorySegment nl = socket();
        int seq = ++sequence;
        request.sequence(seq);
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = Libmnl.allocateCallState(call);
            long sent = (long)
                    Libmnl.mnl_socket_sendto$MH().invokeExact(state, nl, request.segment(), (long) request.length());
            if (sent < 0) {
                throw new ErrnoException("mnl_socket_sendto " + what, Libmnl.errno(state));
            }
            Dispatch dispatch = new Dispatch(onMessage);
            MemorySegment callback = Libmnl.callback(DISPATCH.bindTo(dispatch), call);
            int result;
            do {
                long received = (long)
                        Libmnl.mnl_socket_recvfrom$MH().invokeExact(state, nl, receiveBuffer, receiveBuffer.byteSize());
                if (received < 0) {
                    throw new ErrnoException("mnl_socket_recvfrom " + what, Libmnl.errno(state));
                }
                result = (int) Libmnl.mnl_cb_run$MH()
                        .invokeExact(state, receiveBuffer, received, seq, portId, callback, MemorySegment.NULL);
                dispatch.rethrow();
                if (result < 0) {
                    throw new ErrnoException(what, Libmnl.errno(state));
                }
            } while (result > Libmnl.MNL_CB_STOP);
        } catch (ErrnoException | RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    /** Joins the rtnetlink/genetlink multicast {@code groups} ({@code NETLINK_ADD_MEMBERSHIP}). */
    synchronized void subscribe(int... groups) throws ErrnoException {
        MemorySegment nl = socket();
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = Libmnl.allocateCallState(call);
            MemorySegment group = call.allocate(ValueLayout.JAVA_INT);
            for (int g : groups) {
                group.set(ValueLayout.JAVA_INT, 0, g);
                int result = (int) Libmnl.mnl_socket_setsockopt$MH()
                        .invokeExact(state, nl, Libmnl.NETLINK_ADD_MEMBERSHIP, group, 4);
                if (result < 0) {
                    throw new ErrnoException("NETLINK_ADD_MEMBERSHIP " + g + " on " + name, Libmnl.errno(state));
                }
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    /**
     * Waits up to {@code timeoutMillis} for unsolicited messages (multicast notifications) and hands
     * each to {@code onMessage}. Returns false when nothing arrived in time. {@code ENOBUFS} (the kernel
     * dropped notifications because we were too slow) comes back as an {@link ErrnoException}; the
     * socket stays usable.
     */
    synchronized boolean receive(int timeoutMillis, Consumer<NetlinkMessage> onMessage) throws ErrnoException {
        MemorySegment nl = socket();
        try (Arena call = Arena.ofConfined()) {
            int fd = (int) Libmnl.mnl_socket_get_fd$MH().invokeExact(nl);
            if (!Libc.poll(fd, Libc.POLLIN, timeoutMillis)) {
                return false;
            }
            MemorySegment state = Libmnl.allocateCallState(call);
            long received = (long)
                    Libmnl.mnl_socket_recvfrom$MH().invokeExact(state, nl, receiveBuffer, receiveBuffer.byteSize());
            if (received < 0) {
                throw new ErrnoException("mnl_socket_recvfrom " + name, Libmnl.errno(state));
            }
            Dispatch dispatch = new Dispatch(onMessage);
            MemorySegment callback = Libmnl.callback(DISPATCH.bindTo(dispatch), call);
            // seq 0 and portid 0: notifications carry neither, so libmnl checks neither.
            int result = (int) Libmnl.mnl_cb_run$MH()
                    .invokeExact(state, receiveBuffer, received, 0, 0, callback, MemorySegment.NULL);
            dispatch.rethrow();
            if (result < 0) {
                throw new ErrnoException("notification on " + name, Libmnl.errno(state));
            }
            return true;
        } catch (ErrnoException | RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    private synchronized MemorySegment socket() {
        if (socket == null) {
            throw new IllegalStateException(name + " netlink socket is closed");
        }
        return socket;
    }

    @Override
    public synchronized void close() throws ErrnoException {
        if (socket == null) {
            return;
        }
        MemorySegment closing = socket;
        socket = null;
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = Libmnl.allocateCallState(call);
            int result = (int) Libmnl.mnl_socket_close$MH().invokeExact(state, closing);
            if (result < 0) {
                throw new ErrnoException("mnl_socket_close " + name, Libmnl.errno(state));
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        } finally {
            arena.close();
        }
    }

    /**
     * The target of the {@code mnl_cb_t} upcall. An exception must never unwind into native code (the
     * JVM would crash), so it is kept and rethrown after {@code mnl_cb_run} returns.
     */
    private static final class Dispatch {
        private final Consumer<NetlinkMessage> onMessage;
        private Throwable failure;

        Dispatch(Consumer<NetlinkMessage> onMessage) {
            this.onMessage = onMessage;
        }

        @SuppressWarnings("unused") // called from native code through DISPATCH
        int onMessage(MemorySegment header, MemorySegment data) {
            try {
                onMessage.accept(new NetlinkMessage(header));
                return Libmnl.MNL_CB_OK;
            } catch (Throwable t) {
                failure = t;
                return Libmnl.MNL_CB_ERROR;
            }
        }

        void rethrow() {
            if (failure instanceof RuntimeException e) {
                throw e;
            }
            if (failure instanceof Error e) {
                throw e;
            }
            if (failure != null) {
                throw new IllegalStateException(failure);
            }
        }
    }
}
