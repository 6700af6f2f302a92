package dev.wgpr.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.testing.RequiresRoot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code wg-pr doctor} on this machine (root, kernel 6.18, cgroup2 at /sys/fs/cgroup/unified, BPF LSM
 * active, no kernel WireGuard, the real enforcement object loads), and the proof that it leaves nothing behind.
 */
@RequiresRoot
class DoctorOnThisMachineTest {
    private static final Path CGROUP2 = Path.of("/sys/fs/cgroup/unified");

    @Test
    void reportsTheRealCgroup2MountBpfLsmNoKernelWireGuardAWorkingAttachAndEveryEnforcementProgram() {
        CliRun run = CliRun.of("doctor");
        assertEquals(0, run.exitCode(), run.out() + run.err());
        assertTrue(line(run, "cgroup2").matches("OK +cgroup2: +/sys/fs/cgroup/unified \\(hybrid.*"), run.out());
        assertTrue(line(run, "BPF LSM").startsWith("OK "), run.out());
        assertTrue(line(run, "BPF LSM").contains("bpf"), run.out());
        assertTrue(
                line(run, "kernel WireGuard").matches("OK +kernel WireGuard: +absent \u2014 .*userspace.*"), run.out());
        assertTrue(line(run, "cgroup sock_addr attach").startsWith("OK "), run.out());
        assertTrue(line(run, "TUN").startsWith("OK "), run.out());
        assertTrue(
                line(run, "enforcement programs")
                        .matches("OK +enforcement programs: +all 8 programs of enforce.bpf.o load: wgpr_sock_create,"
                                + " wgpr_connect4, wgpr_connect6, wgpr_sendmsg4, wgpr_sendmsg6, wgpr_tunnel_egress, wgpr_tunnel_tag,"
                                + " wgpr_inbound — .*"),
                run.out());
        assertTrue(line(run, "app identity").startsWith("OK "), run.out());
        assertTrue(line(run, "app identity").contains("bound to the program in the kernel"), run.out());
    }

    @Test
    void jsonReportHasEveryCheckWithAllFourFields() {
        CliRun run = CliRun.of("doctor", "--json");
        assertEquals(0, run.exitCode(), run.err());
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> report = (List<Map<String, Object>>) MiniJson.parse(run.out());
        assertEquals(
                DoctorChecks.all(dev.wgpr.client.daemon.Instance.choose(java.util.Optional.empty())).stream()
                        .map(DoctorCheck::name)
                        .toList(),
                report.stream().map(r -> r.get("check")).toList());
        for (Map<String, Object> entry : report) {
            assertEquals(List.of("check", "status", "detail", "meaning"), List.copyOf(entry.keySet()));
            assertTrue(List.of("OK", "WARN", "FAIL").contains(entry.get("status")), entry.toString());
            assertTrue(!((String) entry.get("meaning")).isBlank(), entry.toString());
        }
        Map<String, Object> cgroup2 = report.stream()
                .filter(r -> r.get("check").equals("cgroup2"))
                .findFirst()
                .orElseThrow();
        assertTrue(((String) cgroup2.get("detail")).startsWith(CGROUP2.toString()), cgroup2.toString());
    }

    @Test
    void leavesNoCgroupBpfAttachmentTunDeviceOrProgramBehind() throws Exception {
        // Compared with before, not with nothing: a wg-pr daemon of this machine attaches to the root.
        String attachedBefore = run("bpftool", "cgroup", "tree", CGROUP2.toString());
        String attachedToTheRootBefore = run("bpftool", "cgroup", "show", CGROUP2.toString());
        List<String> cgroupsBefore = children(CGROUP2);
        String linksBefore = linkNames();
        String programsBefore = programNames();

        assertEquals(0, CliRun.of("doctor").exitCode());

        assertEquals(attachedBefore, run("bpftool", "cgroup", "tree", CGROUP2.toString()));
        assertEquals(attachedToTheRootBefore, run("bpftool", "cgroup", "show", CGROUP2.toString()));
        assertEquals(cgroupsBefore, children(CGROUP2));
        assertEquals(linksBefore, linkNames());
        assertEquals(programsBefore, programNames());
    }

    private static String line(CliRun run, String check) {
        return run.out()
                .lines()
                .filter(l -> l.matches("(OK|WARN|FAIL) +" + java.util.regex.Pattern.quote(check) + ":.*"))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no line for " + check + " in\n" + run.out()));
    }

    private static List<String> children(Path dir) throws IOException {
        try (Stream<Path> list = Files.list(dir)) {
            return list.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static String linkNames() throws Exception {
        return run("ip", "-o", "link", "show")
                .lines()
                .map(l -> l.split(": ", 3)[1])
                .sorted()
                .collect(Collectors.joining(","));
    }

    /** Program names of what is loaded (ids change, names of our probes would show up). */
    private static String programNames() throws Exception {
        return run("bpftool", "prog", "show")
                .lines()
                .filter(l -> l.contains("name "))
                .map(l -> l.replaceAll("^\\d+: ", "").replaceAll("  tag .*", ""))
                .sorted()
                .collect(Collectors.joining("\n"));
    }

    private static String run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, process.waitFor(), String.join(" ", command) + ": " + out);
        return out.strip();
    }
}
