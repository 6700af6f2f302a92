package dev.wgpr.client.control;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.wgpr.common.linux.Downcalls;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * The stream-socket calls of {@link UnixSocket}: connecting, listening, accepting, and messages that carry
 * descriptors. Each leaves errno in the caller's call state; a {@link Throwable} means a linkage bug.
 */
final class UnixBindings {
    private UnixBindings() {}

    private static final class Connect {
        static final MethodHandle MH =
                Downcalls.errno("connect", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    }

    private static final class Listen {
        static final MethodHandle MH = Downcalls.errno("listen", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    }

    private static final class Accept4 {
        static final MethodHandle MH =
                Downcalls.errno("accept4", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
    }

    private static final class Sendmsg {
        static final MethodHandle MH =
                Downcalls.errno("sendmsg", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    }

    private static final class Recvmsg {
        static final MethodHandle MH =
                Downcalls.errno("recvmsg", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    }

    static int connect(MemorySegment callState, int fd, MemorySegment address, int length) throws Throwable {
        return (int) Connect.MH.invokeExact(callState, fd, address, length);
    }

    static int listen(MemorySegment callState, int fd, int backlog) throws Throwable {
        return (int) Listen.MH.invokeExact(callState, fd, backlog);
    }

    static int accept4(MemorySegment callState, int fd, MemorySegment address, MemorySegment length, int flags)
            throws Throwable {
        return (int) Accept4.MH.invokeExact(callState, fd, address, length, flags);
    }

    static long sendmsg(MemorySegment callState, int fd, MemorySegment message, int flags) throws Throwable {
        return (long) Sendmsg.MH.invokeExact(callState, fd, message, flags);
    }

    static long recvmsg(MemorySegment callState, int fd, MemorySegment message, int flags) throws Throwable {
        return (long) Recvmsg.MH.invokeExact(callState, fd, message, flags);
    }
}
