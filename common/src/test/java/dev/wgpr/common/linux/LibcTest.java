package dev.wgpr.common.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LibcTest {
    @Test
    void openOfAMissingFileCapturesEnoent(@TempDir Path dir) {
        ErrnoException e = assertThrows(
                ErrnoException.class, () -> Libc.open(dir.resolve("missing").toString(), Libc.O_RDONLY));
        assertEquals(Libc.ENOENT, e.errno());
        assertTrue(e.getMessage().contains("No such file or directory"), e.getMessage());
    }

    @Test
    void readsWhatWasWrittenThroughRealFileDescriptors(@TempDir Path dir) throws Throwable {
        Path file = dir.resolve("data");
        Files.writeString(file, "wg-pr");
        int fd = Libc.open(file.toString(), Libc.O_RDONLY | Libc.O_CLOEXEC);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(16);
            MemorySegment state = Libc.allocateCallState(arena);
            long n = (long) Libc.read$MH.invokeExact(state, fd, buffer, 16L);
            assertEquals(5, n);
            assertEquals("wg-pr", new String(buffer.asSlice(0, n).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)));
        } finally {
            Libc.close(fd);
        }
    }

    @Test
    void closeOfABadDescriptorIsEbadf() {
        ErrnoException e = assertThrows(ErrnoException.class, () -> Libc.close(-5));
        assertEquals(9, e.errno());
    }
}
