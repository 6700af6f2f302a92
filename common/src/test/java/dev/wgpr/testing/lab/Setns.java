package dev.wgpr.testing.lab;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * {@code setns(2)} for the lab's in-namespace Java calls. It lives here rather than in {@link Libc}
 * because only tests need it so far; move it there when main code does.
 */
@SuppressWarnings("restricted") // an FFM downcall, as in Libc
final class Setns {
    private Setns() {}

    static final int CLONE_NEWNET = 0x40000000;

    private static final MethodHandle SETNS = Linker.nativeLinker()
            .downcallHandle(
                    Linker.nativeLinker().defaultLookup().find("setns").orElseThrow(),
                    FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT),
                    Linker.Option.captureCallState("errno"));

    /**
     * Moves the calling thread (only it: network namespaces are per thread) into the network
     * namespace that {@code ip netns add} bound at {@code /run/netns/NAME}.
     */
    static void enterNetworkNamespace(String name) throws ErrnoException {
        int fd = Libc.open("/run/netns/" + name, Libc.O_RDONLY | Libc.O_CLOEXEC);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.allocateCallState(arena);
            Libc.check((int) SETNS.invokeExact(state, fd, CLONE_NEWNET), state, "setns " + name);
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        } finally {
            Libc.close(fd);
        }
    }
}
