package dev.wgpr.client.systembus;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SystemBusTest {
    @TempDir
    Path dir;

    @Test
    void aBusWhoseSocketDoesNotExistIsKnownAbsentWithoutAsking() {
        String missing = "unix:path=" + dir.resolve("no-such-socket");

        assertFalse(SystemBus.mayExist(Map.of("DBUS_SYSTEM_BUS_ADDRESS", missing)));
    }

    @Test
    void aBusWhoseSocketExistsOrThatIsNoPathMayBeThere() throws Exception {
        Path socket = Files.createFile(dir.resolve("socket"));

        assertTrue(SystemBus.mayExist(Map.of("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=" + socket)));
        assertTrue(SystemBus.mayExist(Map.of("DBUS_SYSTEM_BUS_ADDRESS", "unix:abstract=/tmp/dbus-x")));
        assertTrue(SystemBus.mayExist(
                Map.of("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=" + dir.resolve("gone") + ";unix:path=" + socket)));
    }
}
