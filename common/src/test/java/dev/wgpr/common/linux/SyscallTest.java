package dev.wgpr.common.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyscallTest {
    private static final int EBADF = 9;

    @Test
    void aCallWithoutArgumentsReturnsTheKernelsResult() throws ErrnoException {
        assertEquals(ProcessHandle.current().pid(), Syscall.call("getpid", Syscall.GETPID));
    }

    @Test
    void pointerArgumentsReachTheKernelAsAddresses(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("data");
        Files.writeString(file, "wg-pr");
        try (Arena arena = Arena.ofConfined()) {
            int fd = (int) Syscall.call(
                    "openat",
                    Syscall.OPENAT,
                    Syscall.AT_FDCWD,
                    arena.allocateFrom(file.toString()).address(),
                    Libc.O_RDONLY | Libc.O_CLOEXEC);
            try {
                MemorySegment buffer = arena.allocate(16);
                long n = Syscall.call("read", Syscall.READ, fd, buffer.address(), buffer.byteSize());
                assertEquals("wg-pr", new String(buffer.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE)));
            } finally {
                Syscall.call("close", Syscall.CLOSE, fd);
            }
        }
    }

    @Test
    void aFailedCallLeavesItsErrnoInTheCallState() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.allocateCallState(arena);
            assertEquals(-1, Syscall.invoke(state, Syscall.CLOSE, -5));
            assertEquals(EBADF, Libc.errno(state));
        }
    }

    @Test
    void aFailedCheckedCallThrowsItsErrnoUnderItsName() {
        ErrnoException e =
                assertThrows(ErrnoException.class, () -> Syscall.call("fcntl F_GETFL", Syscall.FCNTL, -5, 3));
        assertEquals(EBADF, e.errno());
        assertTrue(e.getMessage().startsWith("fcntl F_GETFL"), e.getMessage());
    }

    @Test
    void moreThanSixArgumentsAreABug() {
        assertThrows(
                IllegalArgumentException.class,
                () -> Syscall.invoke(MemorySegment.NULL, Syscall.GETPID, 1, 2, 3, 4, 5, 6, 7));
    }
}
