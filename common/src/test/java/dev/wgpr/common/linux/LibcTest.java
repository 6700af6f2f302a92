package dev.wgpr.common.linux;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
            long n = (long) Libc.read$MH().invokeExact(state, fd, buffer, 16L);
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

    @Test
    void anAnonymousMappingTakesMemoryOnlyForTouchedPagesAndDiscardGivesThemBack() throws Exception {
        long size = 64 * 4096;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mapping = Libc.mapAnonymous(size, arena);
            assertEquals(size, mapping.byteSize());
            assertEquals(0, residentKib(mapping), "nothing touched yet");

            mapping.set(JAVA_BYTE, 0, (byte) 7);
            mapping.set(JAVA_BYTE, 5 * 4096 + 1, (byte) 9);
            assertEquals(8, residentKib(mapping), "two pages written");

            Libc.discard(mapping);
            assertEquals(0, residentKib(mapping));
            assertEquals(0, mapping.get(JAVA_BYTE, 0), "a discarded page reads as zeros");
            mapping.set(JAVA_BYTE, 0, (byte) 1);
            assertEquals(1, mapping.get(JAVA_BYTE, 0), "and takes writes again");
        }
    }

    @Test
    void anAnonymousMappingIsUnmappedWhenItsArenaCloses() throws Exception {
        MemorySegment mapping;
        try (Arena arena = Arena.ofConfined()) {
            mapping = Libc.mapAnonymous(3 * 4096, arena);
            assertTrue(mapped(mapping));
        }
        assertFalse(mapped(mapping));
    }

    @Test
    void discardOfMemoryThatIsNotAWholeMappingIsRefused() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment misaligned = Libc.mapAnonymous(2 * 4096, arena).asSlice(1, 4096);
            assertThrows(IllegalArgumentException.class, () -> Libc.discard(misaligned));
        }
    }

    /** The {@code Rss} of the mapping that starts at {@code segment}, from {@code /proc/self/smaps}. */
    private static long residentKib(MemorySegment segment) throws Exception {
        List<String> lines = Files.readAllLines(Path.of("/proc/self/smaps"));
        String start = Long.toHexString(segment.address()) + "-";
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(start)) {
                for (int j = i + 1; j < lines.size(); j++) {
                    if (lines.get(j).startsWith("Rss:")) {
                        return Long.parseLong(lines.get(j).replaceAll("[^0-9]", ""));
                    }
                }
            }
        }
        throw new AssertionError("no mapping starts at " + start);
    }

    private static boolean mapped(MemorySegment segment) throws Exception {
        String start = Long.toHexString(segment.address()) + "-";
        return Files.readAllLines(Path.of("/proc/self/maps")).stream().anyMatch(line -> line.startsWith(start));
    }
}
