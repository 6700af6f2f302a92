package dev.wgpr.tunnel.device;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.wgpr.common.linux.Downcalls;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * The batched datagram calls of the UDP socket's hot path. Each leaves errno in the caller's call state (the
 * socket keeps one per thread); a {@link Throwable} means a linkage bug.
 */
final class UdpBindings {
    private UdpBindings() {}

    /** {@code int recvmmsg(int fd, struct mmsghdr *vec, unsigned vlen, int flags, struct timespec *timeout)}. */
    private static final class Recvmmsg {
        static final MethodHandle MH = Downcalls.errno(
                "recvmmsg", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));
    }

    /** {@code int sendmmsg(int fd, struct mmsghdr *vec, unsigned vlen, int flags)}. */
    private static final class Sendmmsg {
        static final MethodHandle MH =
                Downcalls.errno("sendmmsg", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    }

    static int recvmmsg(
            MemorySegment callState, int fd, MemorySegment messages, int count, int flags, MemorySegment timeout)
            throws Throwable {
        return (int) Recvmmsg.MH.invokeExact(callState, fd, messages, count, flags, timeout);
    }

    static int sendmmsg(MemorySegment callState, int fd, MemorySegment messages, int count, int flags)
            throws Throwable {
        return (int) Sendmmsg.MH.invokeExact(callState, fd, messages, count, flags);
    }
}
