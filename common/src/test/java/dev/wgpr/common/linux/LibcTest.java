package dev.wgpr.common.linux;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
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
            long n = Libc.read(state, fd, buffer, 16L);
            assertEquals(5, n);
            assertEquals("wg-pr", new String(buffer.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE)));
        } finally {
            Libc.close(fd);
        }
    }

    @Test
    void closeOfABadDescriptorIsEbadf() {
        ErrnoException e = assertThrows(ErrnoException.class, () -> Libc.close(-5));
        assertEquals(9, e.errno());
    }

    @Test
    void anAnonymousMappingTakesMemoryOnlyForTouchedPagesAndDiscardGivesThemBack() throws Exception {
        long size = 64 * 4096;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mapping = Libc.mapAnonymous(size, arena);
            assertEquals(size, mapping.byteSize());
            assertEquals(0, Libc.residentBytes(mapping), "nothing touched yet");

            mapping.set(JAVA_BYTE, 0, (byte) 7);
            mapping.set(JAVA_BYTE, 5 * 4096 + 1, (byte) 9);
            assertEquals(2 * 4096, Libc.residentBytes(mapping), "two pages written");

            Libc.discard(mapping);
            assertEquals(0, Libc.residentBytes(mapping));
            assertEquals(0, mapping.get(JAVA_BYTE, 0), "a discarded page reads as zeros");
            mapping.set(JAVA_BYTE, 0, (byte) 1);
            assertEquals(1, mapping.get(JAVA_BYTE, 0), "and takes writes again");
        }
    }

    @Test
    void anAnonymousMappingIsUnmappedWhenItsArenaCloses() throws Exception {
        long size = 64L << 20;
        long before;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mapping = Libc.mapAnonymous(size, arena);
            mapping.fill((byte) 1);
            before = residentKib();
        }
        // Whatever else the JVM maps meanwhile, 64 MiB of touched pages leaving shows the unmapping.
        long after = residentKib();
        assertTrue(before - after > 48 << 10, "resident " + before + " KiB before closing, " + after + " after");
    }

    @Test
    void discardOfMemoryThatIsNotAWholeMappingIsRefused() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment misaligned = Libc.mapAnonymous(2 * 4096, arena).asSlice(1, 4096);
            assertThrows(IllegalArgumentException.class, () -> Libc.discard(misaligned));
        }
    }

    /** This process's {@code VmRSS}. */
    private static long residentKib() throws Exception {
        return Files.readAllLines(Path.of("/proc/self/status")).stream()
                .filter(line -> line.startsWith("VmRSS:"))
                .mapToLong(line -> Long.parseLong(line.replaceAll("[^0-9]", "")))
                .findFirst()
                .orElseThrow();
    }
}
