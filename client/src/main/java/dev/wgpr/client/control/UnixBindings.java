package dev.wgpr.client.control;

import dev.wgpr.common.linux.Syscall;
import java.lang.foreign.MemorySegment;

/**
 * The stream-socket calls of {@link UnixSocket}: connecting, listening, accepting, and messages that carry
 * descriptors. Each leaves errno in the caller's call state. Through {@link Syscall}: {@code wg-pr run} and
 * {@code status} connect and send at start, where a downcall of a shape of its own costs more than the call.
 */
final class UnixBindings {
    private UnixBindings() {}

    static int connect(MemorySegment callState, int fd, MemorySegment address, int length) {
        return (int) Syscall.invoke(callState, Syscall.CONNECT, fd, address.address(), length);
    }

    static int listen(MemorySegment callState, int fd, int backlog) {
        return (int) Syscall.invoke(callState, Syscall.LISTEN, fd, backlog);
    }

    static int accept4(MemorySegment callState, int fd, MemorySegment address, MemorySegment length, int flags) {
        return (int) Syscall.invoke(callState, Syscall.ACCEPT4, fd, address.address(), length.address(), flags);
    }

    static long sendmsg(MemorySegment callState, int fd, MemorySegment message, int flags) {
        return Syscall.invoke(callState, Syscall.SENDMSG, fd, message.address(), flags);
    }

    static long recvmsg(MemorySegment callState, int fd, MemorySegment message, int flags) {
        return Syscall.invoke(callState, Syscall.RECVMSG, fd, message.address(), flags);
    }
}
