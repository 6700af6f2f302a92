package dev.wgpr.enforcement;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A pivot agent (pivot.py): a real process, as a given uid, in a lab namespace and optionally in a
 * cgroup it joins (as root) before it drops to that uid, that runs attack vectors on request.
 */
final class Agent implements AutoCloseable {
    /** One answer: what the agent saw happen. */
    record Result(String vector, String outcome, String detail) {
        boolean breached() {
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
     * Starts pivot.py with {@code config} (JSON) in namespace {@code netns}, as {@code uid}/{@code
     * uid}, after joining {@code cgroup} if given.
     */
    static Agent start(String label, Path script, String netns, int uid, Optional<Path> cgroup, String config, Path log)
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
        Process process = new ProcessBuilder(command)
                .redirectError(log.toFile())
                .directory(script.getParent().toFile())
                .start();
        try {
            return new Agent(label, process, uid);
        } catch (IOException | RuntimeException e) {
            process.destroyForcibly();
            throw e;
        }
    }

    long pid() {
        return pid;
    }

    int uid() {
        return uid;
    }

    String label() {
        return label;
    }

    synchronized String ask(String line) throws IOException {
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

    List<String> vectors() throws IOException {
        return List.of(ask("LIST").split(" "));
    }

    Result run(String vector) throws IOException {
        String[] parts = ask("RUN " + vector).split("\\|", 3);
        return new Result(parts[0], parts[1], parts.length > 2 ? parts[2] : "");
    }

    @Override
    public void close() {
        CHelper.stop(process, in);
    }
}
