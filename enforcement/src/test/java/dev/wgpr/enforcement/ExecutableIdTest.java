package dev.wgpr.enforcement;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.wgpr.common.linux.Libc;
import dev.wgpr.common.linux.OwnedFd;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExecutableIdTest {
    @Test
    void theDeviceIsEncodedAsTheKernelsMkdev() {
        assertEquals(0x0fe00000, ExecutableId.encode(254, 0));
        assertEquals((8 << 20) | 17, ExecutableId.encode(8, 17));
        assertEquals("254:1/42", new ExecutableId(ExecutableId.encode(254, 1), 42).toString());
    }

    @Test
    void statsDeviceNumberIsTranslatedToTheKernelsEncoding() {
        assertEquals(ExecutableId.encode(254, 0), ExecutableId.fromUserspace(0xfe00L));
        assertEquals(ExecutableId.encode(8, 17), ExecutableId.fromUserspace(0x0811L));
        assertEquals(
                ExecutableId.encode(259, 300),
                ExecutableId.fromUserspace((259L << 8) | (300L & 0xff) | ((300L & ~0xffL) << 12)));
    }

    @Test
    void anOpenFileIsItsInodeOnTheSuperblockOfTheMountItIsOn() throws Exception {
        Path file = Path.of("/usr/bin/env");
        try (OwnedFd fd = new OwnedFd(Libc.open(file.toString(), Libc.O_PATH | Libc.O_CLOEXEC), "env")) {
            ExecutableId id = ExecutableId.ofOpen(fd.fd());
            assertEquals((long) (Long) Files.getAttribute(file, "unix:ino"), id.ino());
            // The mount's major:minor, as mountinfo prints it for the mount holding the file.
            String majorMinor = (id.dev() >>> 20) + ":" + (id.dev() & 0xfffff);
            List<String> mounts = Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                    .filter(line -> line.split(" ")[2].equals(majorMinor))
                    .toList();
            assertEquals(false, mounts.isEmpty(), majorMinor + " is no mount's device");
        }
    }
}
