package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class InstanceTest {
    @Test
    void everyStateLocationDerivesFromTheName() {
        Instance instance = new Instance("wg-pr-test-1");

        assertEquals(Path.of("/run/wg-pr-test-1/control.sock"), instance.controlSocket());
        assertEquals(Path.of("/sys/fs/bpf/wg-pr-test-1"), instance.bpfPinDirectory());
        assertEquals(Path.of("/sys/fs/cgroup/wg-pr-test-1"), instance.cgroupSubtree(Path.of("/sys/fs/cgroup")));
    }

    @Test
    void namesThatCouldEscapeTheirDirectoryAreRefused() {
        for (String bad : List.of("", ".", "..", "../x", "a/b", "-x", ".hidden", "a b", "x".repeat(65))) {
            assertThrows(IllegalArgumentException.class, () -> new Instance(bad), bad);
        }
    }

    @Test
    void theOptionWinsOverTheDefault() {
        assertEquals(new Instance("lab"), Instance.choose(Optional.of("lab")));
    }
}
