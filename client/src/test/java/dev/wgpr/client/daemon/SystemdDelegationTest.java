package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SystemdDelegationTest {
    @Test
    void theOwnCgroupIsTheUnifiedHierarchysLineNotAV1One() {
        List<String> hybrid = List.of("9:name=systemd:/system.slice/wg-pr.service", "1:cpu:/", "0::/system.slice/x");

        assertEquals(Optional.of("/system.slice/x"), SystemdDelegation.ownCgroup(hybrid));
        assertEquals(Optional.empty(), SystemdDelegation.ownCgroup(List.of("1:cpu:/")));
    }

    @Test
    void onlyTheDaemonLeafOfAServiceMakesTheServiceTheAppsParent() {
        assertEquals(
                Optional.of("/system.slice/wg-pr.service"),
                SystemdDelegation.serviceOfLeaf("/system.slice/wg-pr.service/daemon"));
        assertEquals(Optional.empty(), SystemdDelegation.serviceOfLeaf("/system.slice/wg-pr.service"));
        assertEquals(Optional.empty(), SystemdDelegation.serviceOfLeaf("/user.slice/session-1.scope/daemon"));
        assertEquals(Optional.empty(), SystemdDelegation.serviceOfLeaf("/daemon"));
        assertEquals(Optional.empty(), SystemdDelegation.serviceOfLeaf("/"));
    }

    @Test
    void aServiceIsAUnitNamedDotService() {
        assertTrue(SystemdDelegation.isServiceName("/system.slice/wg-pr.service"));
        assertFalse(SystemdDelegation.isServiceName("/system.slice/.service"));
        assertFalse(SystemdDelegation.isServiceName("/user.slice/user-1000.slice/session-2.scope"));
        assertFalse(SystemdDelegation.isServiceName("/"));
    }

    @Test
    void aCgroupPathIsADirectoryOfTheMount() {
        assertEquals(
                Path.of("/sys/fs/cgroup/system.slice/wg-pr.service"),
                SystemdDelegation.inMount(Path.of("/sys/fs/cgroup"), "/system.slice/wg-pr.service"));
        assertEquals(Path.of("/sys/fs/cgroup"), SystemdDelegation.inMount(Path.of("/sys/fs/cgroup"), "/"));
    }

    @Test
    void withoutSystemdTheAppsStayAtTheCgroup2Root() throws Exception {
        // The test JVM's cgroup is no service's daemon leaf (settle, which would move it, is left alone).
        Path cgroup2 = DaemonTesting.cgroup2();

        assertEquals(cgroup2, SystemdDelegation.appParent(cgroup2));
    }
}
