package dev.wgpr.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.cli.DoctorCheck.Finding;
import dev.wgpr.client.dns.HostResolver;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The report's shape and exit status, with checks made up for the test (no root needed). */
class DoctorCommandTest {
    @Test
    void aFailingCheckMakesTheExitStatusOne() {
        CliRun run = runWith(List.of(
                DoctorChecks.check("fine", "Fine.", false, () -> Finding.ok("yes")),
                DoctorChecks.check("broken", "Broken.", false, () -> Finding.fail("no"))));
        assertEquals(1, run.exitCode());
        assertTrue(run.out().contains("FAIL  broken: no \u2014 Broken."), run.out());
    }

    @Test
    void warningsAloneKeepTheExitStatusZero() {
        CliRun run = runWith(List.of(DoctorChecks.check("meh", "Meh.", false, () -> Finding.warn("so-so"))));
        assertEquals(0, run.exitCode(), run.out());
        assertTrue(run.out().startsWith("WARN  meh: so-so \u2014 Meh."), run.out());
    }

    @Test
    void aCheckThatThrowsIsReportedAsAFailWithTheReason() {
        CliRun run = runWith(List.of(DoctorChecks.check("throws", "T.", false, () -> {
            throw new java.io.IOException("the kernel said no\nsecond line");
        })));
        assertEquals(1, run.exitCode());
        assertTrue(run.out().contains("FAIL  throws: the kernel said no \u2014 T."), run.out());
    }

    @Test
    void statusesAndNamesAreAlignedInColumns() {
        CliRun run = runWith(List.of(
                DoctorChecks.check("a", "A.", false, () -> Finding.ok("x")),
                DoctorChecks.check("longer name", "B.", false, () -> Finding.warn("y"))));
        List<String> lines = run.out().lines().toList();
        assertEquals(lines.get(0).indexOf("x \u2014"), lines.get(1).indexOf("y \u2014"), run.out());
    }

    @Test
    void jsonEscapesWhatItMustAndParses() {
        CliRun run = runWith(
                List.of(DoctorChecks.check("quote\"d", "Tab\there.", false, () -> Finding.ok("back\\slash\u0001"))),
                "--json");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> report = (List<Map<String, Object>>) MiniJson.parse(run.out());
        assertEquals(
                List.of(Map.of(
                        "check", "quote\"d", "status", "OK", "detail", "back\\slash\u0001", "meaning", "Tab\there.")),
                report);
    }

    @Test
    void theResolverLineNamesSystemdResolvedWhereResolvConfPointsAtItsStubAndItIsOnTheBus() {
        Finding finding = DoctorChecks.resolver(new HostResolver.Facts(
                "a symlink to ../run/systemd/resolve/stub-resolv.conf", true, true, java.util.Optional.empty()));
        assertEquals(DoctorCheck.Status.OK, finding.status());
        assertTrue(finding.detail().startsWith("systemd-resolved (/etc/resolv.conf is a symlink"), finding.detail());
    }

    @Test
    void theResolverLineWarnsWhereNothingCanKeepInternalNamesOffTheHostsServers() {
        Finding finding = DoctorChecks.resolver(
                new HostResolver.Facts("a file naming the stub 127.0.0.53", true, false, java.util.Optional.empty()));
        assertEquals(DoctorCheck.Status.WARN, finding.status());
        assertTrue(finding.detail().contains("but systemd-resolved is not on the bus"), finding.detail());
        assertTrue(finding.meaning().contains("dnsResolver = \"file\""), finding.meaning());
    }

    @Test
    void theResolverLineNamesResolvconfWhenInstalled() {
        Finding finding = DoctorChecks.resolver(new HostResolver.Facts(
                "a plain file", false, false, java.util.Optional.of(java.nio.file.Path.of("/usr/sbin/resolvconf"))));
        assertEquals(DoctorCheck.Status.OK, finding.status());
        assertTrue(finding.detail().startsWith("resolvconf ("), finding.detail());
    }

    private static CliRun runWith(List<DoctorCheck> checks, String... options) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        var commandLine = WgPrCommand.commandLine(
                java.io.InputStream.nullInputStream(),
                new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8),
                new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
        var doctor = new picocli.CommandLine(new DoctorCommand(checks));
        doctor.setOut(commandLine.getOut());
        doctor.setErr(commandLine.getErr());
        int exit = doctor.execute(options);
        return new CliRun(
                exit,
                out.toString(java.nio.charset.StandardCharsets.UTF_8),
                err.toString(java.nio.charset.StandardCharsets.UTF_8));
    }
}
