package dev.wgpr.client.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.TestPaths;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The units in packaging/systemd pass {@code systemd-analyze verify} without a warning (it exits 0 even
 * for an unknown {@code Type=}, so its stderr must be empty too). {@code /usr/bin/wg-pr} is replaced by
 * the repository's launcher, which verify requires to exist; ./dev.sh installs systemd-analyze.
 */
class SystemdUnitsTest {
    private static final Path ANALYZE = Path.of("/usr/bin/systemd-analyze");

    @Test
    void theDaemonAndTunnelUnitsVerifyCleanly(@TempDir Path dir) throws Exception {
        assertTrue(Files.isExecutable(ANALYZE), "systemd-analyze is missing: apt-get install systemd (./dev.sh does)");
        Path root = TestPaths.repositoryRoot();
        List<String> units = new ArrayList<>();
        try (Stream<Path> files = Files.list(root.resolve("packaging/systemd"))) {
            for (Path unit : files.sorted().toList()) {
                String text = Files.readString(unit)
                        .replace("/usr/bin/wg-pr", root.resolve("wg-pr").toString());
                Files.writeString(dir.resolve(unit.getFileName()), text);
            }
        }
        Path template = dir.resolve("wg-pr@.service");
        Files.copy(template, dir.resolve("wg-pr@corp.service"));
        units.add(dir.resolve("wg-pr.service").toString());
        units.add(dir.resolve("wg-pr@corp.service").toString());

        List<String> command = new ArrayList<>(List.of(ANALYZE.toString(), "verify", "--man=no"));
        command.addAll(units);
        Process verify = new ProcessBuilder(command).directory(dir.toFile()).start();
        assertTrue(verify.waitFor(60, TimeUnit.SECONDS), "systemd-analyze verify finished");
        String err = read(verify.getErrorStream());
        assertEquals(0, verify.exitValue(), err);
        assertEquals("", err.strip(), "no warnings");
        String daemon = Files.readString(dir.resolve("wg-pr.service"));
        assertTrue(daemon.contains("\nType=notify\n") && daemon.contains("\nNotifyAccess=main\n"), daemon);
    }

    private static String read(java.io.InputStream in) throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
}
