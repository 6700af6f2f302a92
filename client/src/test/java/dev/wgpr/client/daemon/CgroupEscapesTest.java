package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.wgpr.client.control.DaemonStatus;
import dev.wgpr.enforcement.cgroup.ScratchCgroup;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/** Real processes moved between real cgroups; the checks are called directly rather than waited for. */
class CgroupEscapesTest {
    @Test
    void aProcessNotYetInItsAppCgroupHasNotLeftItButOneMovedElsewhereAfterwardsHas() throws Exception {
        Path cgroup2 = DaemonTesting.cgroup2();
        Process process = new ProcessBuilder("sleep", "60").start();
        int pid = (int) process.pid();
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (ScratchCgroup launcher = ScratchCgroup.create(cgroup2, "wgpr-launcher");
                ScratchCgroup app = ScratchCgroup.create(cgroup2, "wgpr-app");
                ScratchCgroup scope = ScratchCgroup.create(cgroup2, "wgpr-scope");
                CgroupEscapes escapes = escapes(pid, log)) {
            try {
                // Where the launch helper forks: the launch step moves itself into the app's cgroup just
                // before its exec, which on a slow machine comes after the first look.
                move(pid, launcher);
                escapes.watch(pid, app.path());
                escapes.check();
                assertNull(running.get(pid).leftFor(), "not placed yet is not gone: " + log);

                move(pid, app);
                escapes.check();
                assertNull(running.get(pid).leftFor(), log::toString);

                move(pid, scope); // as systemd-run --scope does
                escapes.check();
                assertEquals(
                        "/" + cgroup2.relativize(scope.path()), running.get(pid).leftFor(), log::toString);
                assertEquals(1, events.after(0).size());

                move(pid, launcher); // back where it was launched from is not "not placed yet" any more
                escapes.check();
                assertEquals(
                        "/" + cgroup2.relativize(launcher.path()),
                        running.get(pid).leftFor(),
                        log::toString);
                assertEquals(2, events.after(0).size());
            } finally {
                process.destroy();
                process.waitFor();
            }
        }
    }

    private final Map<Integer, DaemonStatus.RunningApp> running = new ConcurrentHashMap<>();
    private final EventLog events = new EventLog();

    private CgroupEscapes escapes(int pid, ByteArrayOutputStream log) {
        running.put(pid, new DaemonStatus.RunningApp(pid, "probe", "t", 0));
        return new CgroupEscapes(running, events, new PrintStream(log, true, StandardCharsets.UTF_8));
    }

    private static void move(int pid, ScratchCgroup cgroup) throws Exception {
        Files.writeString(cgroup.path().resolve("cgroup.procs"), Integer.toString(pid));
    }
}
