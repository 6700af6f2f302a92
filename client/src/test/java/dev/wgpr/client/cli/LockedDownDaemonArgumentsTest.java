package dev.wgpr.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.daemon.Instance;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LockedDownDaemonArgumentsTest {
    @Test
    void whatTheDaemonWritesBeforeTheExecIsReadBackUnchanged() {
        LockedDownDaemon.Arguments written = new LockedDownDaemon.Arguments(
                new Instance("corp-1"),
                7,
                4242,
                Optional.of("staff"),
                List.of(Path.of("/etc/a"), Path.of("/b")),
                Optional.of(Path.of("/var/cache/wg-pr/daemon.jsa")),
                true);

        assertEquals(written, LockedDownDaemon.Arguments.parse(written.toList()));
    }

    @Test
    void theLaunchGroupConfigDirectoriesClassArchiveAndResolvConfAreOptional() {
        LockedDownDaemon.Arguments read = LockedDownDaemon.Arguments.parse(
                List.of("--instance", "wg-pr", "--launch-helper-fd", "3", "--launch-helper-pid", "99"));

        assertEquals(Optional.empty(), read.launchGroup());
        assertEquals(List.of(), read.configDirectories());
        assertEquals(Optional.empty(), read.classArchive());
        assertEquals(false, read.writesResolvConf(), "no write access to /etc unless asked");
    }

    @Test
    void anUnknownArgumentIsRefusedByName() {
        assertRefused("unknown argument --foreground", "--foreground", "yes");
    }

    @Test
    void anArgumentWithoutItsValueIsRefused() {
        assertRefused("--config-dir needs a value", "--instance", "x", "--config-dir");
    }

    @Test
    void theLaunchHelperMustBeNamed() {
        assertRefused("are required", "--instance", "x", "--launch-helper-fd", "3");
    }

    @Test
    void aDescriptorThatIsNotANumberIsRefused() {
        assertRefused(
                "--launch-helper-fd takes a non-negative number, not -1",
                "--instance",
                "x",
                "--launch-helper-fd",
                "-1",
                "--launch-helper-pid",
                "2");
    }

    @Test
    void aBadInstanceNameIsRefused() {
        assertRefused("bad instance name", "--instance", "../x", "--launch-helper-fd", "3", "--launch-helper-pid", "2");
    }

    private static void assertRefused(String reason, String... args) {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> LockedDownDaemon.Arguments.parse(List.of(args)));
        assertTrue(e.getMessage().contains(reason), e.getMessage());
    }
}
