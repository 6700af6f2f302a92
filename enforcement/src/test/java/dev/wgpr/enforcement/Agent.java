package dev.wgpr.enforcement;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A pivot agent (pivot.py): a real process, as a given uid, in a lab namespace and optionally in a
 * cgroup it joins (as root) before it drops to that uid, that runs attack vectors on request.
 */
public final class Agent implements AutoCloseable {
    /**
     * Vectors the kernel refuses before any of our hooks could see them (capabilities, cgroup file
     * permissions, user namespace ownership, ptrace access): blocked, with no deny event expected.
     */
    public static final Set<String> KERNEL_REFUSES = Set.of(
            "tcp4-so-mark",
            "udp4-so-mark",
            "udp4-so-mark-steering-mark",
            "udp4-cmsg-so-mark-steering-mark",
            "tcp4-ip-transparent",
            "raw4-socket",
            "raw6-socket",
            "raw4-ipproto-raw",
            "packet-socket",
            "userns-raw-socket",
            "userns-packet-socket",
            "userns-bindtodevice-mark",
            "userns-new-netns-connect",
            "userns-setns-tunnel-netns",
            "userns-cgroupns-join-app",
            "userns-ping-group-range",
            "udp4-lsrr-first-hop-internal",
            "tcp4-lsrr-first-hop-internal",
            "cgroup-join-app",
            "cgroup-join-app-thread",
            "cgroup-mkdir-under-app",
            "cgroup-subtree-control",
            "borrow-pidfd-getfd",
            "borrow-ptrace-seize",
            "borrow-proc-pid-mem",
            "borrow-process-vm-writev");

    /** From a host behind the laptop (a container, a VM) while IP forwarding is on. */
    public static final List<String> FORWARDED_VECTORS = List.of(
            "tcp4-connect",
            "tcp6-connect",
            "udp4-sendto",
            "udp6-sendto",
            "icmp4-setcap-ping-binary",
            "icmp6-setcap-ping-binary");

    /** One answer: what the agent saw happen. */
    public record Result(String vector, String outcome, String detail) {
        public boolean breached() {
            return outcome.equals("connected") || outcome.equals("replied");
        }
    }

    private final String label;
    private final Process process;
    private final BufferedWriter in;
    private final BufferedReader out;
    private final long pid;
    private final int uid;

    private Agent(String label, Process process, int uid) throws IOException {
        this.label = label;
        this.process = process;
        this.uid = uid;
        this.in = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        this.pid = Long.parseLong(ask("PID"));
    }

    /**
     * Writes pivot.py and internal_host.py into {@code directory} (created, world-readable, as the
     * agents run as other users) and returns it.
     */
    public static Path installScripts(Path directory) throws IOException {
        Files.createDirectories(directory);
        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxr-xr-x"));
        for (String name : List.of("pivot.py", "internal_host.py")) {
            try (InputStream resource = Agent.class.getResourceAsStream(name)) {
                Path file = directory.resolve(name);
                Files.write(file, resource.readAllBytes());
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
            }
        }
        return directory;
    }

    /**
     * Starts pivot.py with {@code config} (JSON) in namespace {@code netns}, as {@code uid}/{@code
     * uid}, after joining {@code cgroup} if given.
     */
    public static Agent start(
            String label, Path script, String netns, int uid, Optional<Path> cgroup, String config, Path log)
            throws IOException {
        String join = cgroup.map(c -> "echo $$ > '" + c.resolve("cgroup.procs") + "' && ")
                .orElse("");
        List<String> command = new ArrayList<>(List.of(
                "sh",
                "-c",
                join + "exec nsenter --net=/run/netns/" + netns
                        + " setpriv --reuid=" + uid + " --regid=" + uid
                        + " --clear-groups --inh-caps=-all -- /usr/bin/python3 -u \"$0\" \"$1\""));
        command.add(script.toString());
        command.add(config);
        return start(
                label,
                new ProcessBuilder(command)
                        .redirectError(log.toFile())
                        .directory(script.getParent().toFile()),
                uid);
    }

    /**
     * Starts an agent by {@code launch}, a command that ends in running pivot.py as {@code uid} (e.g.
     * through the product's own launcher); its stdin and stdout must be left as pipes.
     */
    public static Agent start(String label, ProcessBuilder launch, int uid) throws IOException {
        Process process = launch.start();
        try {
            return new Agent(label, process, uid);
        } catch (IOException | RuntimeException e) {
            process.destroyForcibly();
            throw e;
        }
    }

    public long pid() {
        return pid;
    }

    public int uid() {
        return uid;
    }

    public String label() {
        return label;
    }

    public synchronized String ask(String line) throws IOException {
        in.write(line);
        in.write('\n');
        in.flush();
        String answer = out.readLine();
        if (answer == null) {
            throw new IOException("agent " + label + " died (exit "
                    + (process.isAlive() ? "-" : String.valueOf(process.exitValue())) + ")");
        }
        return answer.strip();
    }

    public List<String> vectors() throws IOException {
        return List.of(ask("LIST").split(" "));
    }

    public Result run(String vector) throws IOException {
        String[] parts = ask("RUN " + vector).split("\\|", 3);
        return new Result(parts[0], parts[1], parts.length > 2 ? parts[2] : "");
    }

    @Override
    public void close() {
        CHelper.stop(process, in);
    }
}
