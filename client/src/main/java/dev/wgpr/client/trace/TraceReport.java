package dev.wgpr.client.trace;

import dev.wgpr.client.control.Json;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What {@code wg-pr trace} prints: a line per attempt as it happens, and the summary at the end. */
public final class TraceReport {
    private static final String[] HEADER = {"PID", "COMM", "SYSCALL", "PROTO", "DESTINATION", "ROUTE", "VERDICT"};

    private TraceReport() {}

    /** One attempt as it happens. */
    public static String line(Attempt a) {
        return "wg-pr trace: " + a.time() + " pid " + a.pid() + " (" + a.comm() + ") " + a.syscall() + " "
                + (a.protocol().isEmpty() ? a.family() : a.protocol()) + " " + destination(a) + " -> "
                + a.verdict().route() + ", " + verdictWords(a.verdict());
    }

    /** The destination, with the name a DNS query asks there. */
    private static String destination(Attempt a) {
        return a.name().isEmpty() ? a.destination() : a.destination() + " (" + a.name() + ")";
    }

    private static String verdictWords(Verdict v) {
        return (v.leak() ? "LEAK" : v.allowed() ? "allowed" : "denied") + ": " + v.reason();
    }

    /**
     * The summary: a table of every attempt, then the leaks counted; {@code unreadableQueries} sends to
     * port 53 that carried no DNS query the trace could read.
     */
    public static String table(List<Attempt> attempts, int unreadableQueries, int exitStatus) {
        List<String[]> rows = new ArrayList<>();
        rows.add(HEADER);
        for (Attempt a : attempts) {
            rows.add(new String[] {
                Integer.toString(a.pid()),
                a.comm(),
                a.syscall(),
                a.protocol().isEmpty() ? a.family() : a.protocol(),
                destination(a),
                a.verdict().route(),
                verdictWords(a.verdict())
            });
        }
        int[] widths = new int[HEADER.length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        StringBuilder out = new StringBuilder();
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                line.append(i == row.length - 1 ? row[i] : String.format("%-" + widths[i] + "s  ", row[i]));
            }
            out.append(line.toString().stripTrailing()).append('\n');
        }
        long leaks = attempts.stream().filter(a -> a.verdict().leak()).count();
        out.append(attempts.size())
                .append(" attempts, ")
                .append(leaks)
                .append(leaks == 1 ? " leak" : " leaks")
                .append(unreadableQueries == 0 ? "" : ", " + unreadableQueries + " unreadable DNS queries")
                .append("; the command exited with ")
                .append(exitStatus)
                .append('\n');
        return out.toString();
    }

    /**
     * The summary as one line of JSON: {@code {"exitStatus":N,"leaks":N,"unreadableDnsQueries":N,
     * "attempts":[…]}}.
     */
    public static String json(List<Attempt> attempts, int unreadableQueries, int exitStatus) {
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("exitStatus", exitStatus);
        summary.put("leaks", attempts.stream().filter(a -> a.verdict().leak()).count());
        summary.put("unreadableDnsQueries", unreadableQueries);
        summary.put("attempts", attempts);
        return Json.write(summary);
    }
}
