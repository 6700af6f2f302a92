package dev.wgpr.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.testing.RequiresRoot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The .deb as a user meets it (issue 20): built by packaging/build-deb.sh from this build, then installed
 * with {@code apt install ./wg-pr_*.deb} into a clean Debian 12 root without a JDK, used ({@code --version},
 * {@code doctor}, {@code man}, what bash, zsh and fish complete for {@code wg-pr st<TAB>}, the daemon started,
 * asked and stopped) and purged, by packaging/test-install.sh; lintian checks it first. The clean root comes
 * from the Debian mirror once (mmdebstrap, about a minute) and is cached; the test takes about three minutes,
 * most of it jlink and lintian.
 */
@RequiresRoot
class DebianPackageTest {
    private static final Path REPOSITORY = Path.of("").toAbsolutePath().getParent();

    @Test
    void aCleanDebianInstallsUsesAndPurgesThePackageWithoutAJdkAndNothingIsLeft() throws Exception {
        run(List.of(REPOSITORY.resolve("packaging/build-deb.sh").toString()));
        Path deb = builtPackage();
        System.out.println(deb.getFileName() + ": " + Files.size(deb) / 1024 + " KiB");

        // Debian's own check of the package: no error and no warning left once the overrides the package
        // ships (each justified there and in packaging/README.md) are applied.
        String lintian = run(List.of("lintian", "--fail-on", "error,warning", deb.toString()));
        assertTrue(lintian.lines().noneMatch(line -> line.startsWith("E:") || line.startsWith("W:")), lintian);

        String session =
                run(List.of(REPOSITORY.resolve("packaging/test-install.sh").toString(), deb.toString()));
        assertTrue(session.contains("--- no JDK came with it: none;"), session);
        assertTrue(session.matches("(?s).*--- wg-pr --version\nwg-pr \\d+\\.\\d+\\.\\d+.*"), session);
        assertTrue(session.contains(" 0 FAIL\n"), "doctor found nothing failing: " + session);
        assertTrue(session.contains("wg-pr - WireGuard split-tunnel client"), "man wg-pr: " + session);
        assertTrue(session.contains("wg-pr.toml - configuration of a wg-pr tunnel"), "man 5 wg-pr.toml: " + session);
        for (String shell : List.of("bash", "zsh", "fish")) {
            assertTrue(session.contains("\n" + shell + " completes: status\n"), shell + ", wg-pr st<TAB>: " + session);
        }
        assertTrue(session.contains("--- the wg-pr group: wg-pr:x:"), "the group while installed: " + session);
        assertTrue(session.contains("\nno tunnel is up\n"), "the daemon answered status: " + session);
        assertTrue(session.contains("its class-data archive: daemon.jsa"), "the stopped daemon dumped: " + session);
        String left = session.substring(session.indexOf("--- left after purge"), session.indexOf("--- end"));
        assertEquals(1, left.lines().count(), "nothing of wg-pr left after apt purge: " + left);
    }

    private static Path builtPackage() throws IOException {
        try (Stream<Path> files = Files.list(REPOSITORY.resolve("packaging/target"))) {
            return files.filter(file -> file.getFileName().toString().matches("wg-pr_.*_amd64\\.deb"))
                    .findFirst()
                    .orElseThrow();
        }
    }

    /** Runs {@code command} in the repository with this JDK as JAVA_HOME; its output, which it must end with 0. */
    private static String run(List<String> command) throws Exception {
        ProcessBuilder builder =
                new ProcessBuilder(command).directory(REPOSITORY.toFile()).redirectErrorStream(true);
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(10, TimeUnit.MINUTES), String.join(" ", command));
        System.out.print(output);
        assertEquals(0, process.exitValue(), String.join(" ", command) + "\n" + output);
        return output;
    }
}
