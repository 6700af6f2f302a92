package dev.wgpr.client.cli;

import dev.wgpr.client.cli.DoctorCheck.Finding;
import dev.wgpr.client.cli.DoctorCheck.Result;
import dev.wgpr.client.cli.DoctorCheck.Status;
import dev.wgpr.common.linux.Libc;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "doctor",
        mixinStandardHelpOptions = true,
        description = {
            "Find out what this kernel and system offer and what that means for wg-pr's guarantees.",
            "",
            "Each check prints OK, WARN or FAIL and one sentence of meaning. Checks really try what "
                    + "they can (load a BPF program, attach it to a scratch cgroup, create a TUN device) and "
                    + "undo it at once; nothing on the system is changed. Run as root for a complete answer.",
        },
        footer = {"", "Exit status: 0 when nothing FAILs, 1 otherwise."})
final class DoctorCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--json", description = "Print a JSON array of {check, status, detail, meaning}.")
    boolean json;

    private final List<DoctorCheck> checks;

    @picocli.CommandLine.ParentCommand
    WgPrCommand parent;

    /** The checks of this machine and of the running tunnels of the chosen instance. */
    DoctorCommand() {
        this.checks = null;
    }

    DoctorCommand(List<DoctorCheck> checks) {
        this.checks = List.copyOf(checks);
    }

    @Override
    public Integer call() {
        boolean root = Libc.geteuid() == 0;
        List<Result> results = new ArrayList<>();
        for (DoctorCheck check : checks != null ? checks : DoctorChecks.all(parent.instance())) {
            Finding finding = run(check, root);
            String meaning = finding.meaning() == null ? check.meaning() : finding.meaning();
            results.add(new Result(check.name(), finding.status(), finding.detail(), meaning));
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(toJson(results));
        } else {
            printText(out, results);
        }
        out.flush();
        return results.stream().anyMatch(r -> r.status() == Status.FAIL) ? 1 : 0;
    }

    private static Finding run(DoctorCheck check, boolean root) {
        if (check.needsRoot() && !root) {
            return Finding.warn("not tried: needs root");
        }
        try {
            return check.run();
        } catch (Exception | LinkageError e) {
            String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            return Finding.fail(message.lines().findFirst().orElse(message));
        }
    }

    private static void printText(PrintWriter out, List<Result> results) {
        int width = results.stream().mapToInt(r -> r.check().length()).max().orElse(0) + 1;
        for (Result r : results) {
            out.printf("%-4s  %-" + width + "s %s \u2014 %s%n", r.status(), r.check() + ":", r.detail(), r.meaning());
        }
        long warn = results.stream().filter(r -> r.status() == Status.WARN).count();
        long fail = results.stream().filter(r -> r.status() == Status.FAIL).count();
        out.printf("%d checks: %d OK, %d WARN, %d FAIL%n", results.size(), results.size() - warn - fail, warn, fail);
    }

    static String toJson(List<Result> results) {
        StringBuilder json = new StringBuilder("[");
        for (int i = 0; i < results.size(); i++) {
            Result r = results.get(i);
            json.append(i == 0 ? "\n  {" : ",\n  {");
            json.append("\"check\": ").append(quote(r.check()));
            json.append(", \"status\": ").append(quote(r.status().name()));
            json.append(", \"detail\": ").append(quote(r.detail()));
            json.append(", \"meaning\": ").append(quote(r.meaning()));
            json.append('}');
        }
        return json.append(results.isEmpty() ? "]" : "\n]").toString();
    }

    /** A JSON string literal (RFC 8259): quotes, backslashes and control characters escaped. */
    static String quote(String s) {
        StringBuilder out = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
