package dev.wgpr.client.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * A unified-style diff of two texts, line by line (longest common subsequence), for a golden-file test's
 * failure message: {@code -} lines only expected, {@code +} lines only produced, two lines of context.
 */
final class TextDiff {
    private static final int CONTEXT = 2;

    private TextDiff() {}

    static String of(String expected, String actual) {
        List<String> a = expected.lines().toList();
        List<String> b = actual.lines().toList();
        int[][] common = new int[a.size() + 1][b.size() + 1];
        for (int i = a.size() - 1; i >= 0; i--) {
            for (int j = b.size() - 1; j >= 0; j--) {
                common[i][j] = a.get(i).equals(b.get(j))
                        ? common[i + 1][j + 1] + 1
                        : Math.max(common[i + 1][j], common[i][j + 1]);
            }
        }
        List<String> edits = new ArrayList<>();
        int i = 0;
        int j = 0;
        while (i < a.size() || j < b.size()) {
            if (i < a.size() && j < b.size() && a.get(i).equals(b.get(j))) {
                edits.add("  " + a.get(i++));
                j++;
            } else if (i < a.size() && (j == b.size() || common[i + 1][j] >= common[i][j + 1])) {
                edits.add("- " + a.get(i++));
            } else {
                edits.add("+ " + b.get(j++));
            }
        }
        StringBuilder out = new StringBuilder("--- expected\n+++ actual\n");
        int shownUpTo = -1;
        for (int k = 0; k < edits.size(); k++) {
            if (edits.get(k).startsWith("  ")) {
                continue;
            }
            int from = Math.max(shownUpTo + 1, k - CONTEXT);
            if (from > shownUpTo + 1) {
                out.append("@@ line ").append(from + 1).append(" @@\n");
            }
            int to = Math.min(edits.size() - 1, k + CONTEXT);
            for (int m = from; m <= to; m++) {
                out.append(edits.get(m)).append('\n');
            }
            shownUpTo = to;
        }
        if (!expected.endsWith("\n") || !actual.endsWith("\n")) {
            out.append("(the ends of the texts differ: ")
                    .append(expected.endsWith("\n") ? "" : "expected has no final newline; ")
                    .append(actual.endsWith("\n") ? "" : "actual has no final newline")
                    .append(")\n");
        }
        return out.toString();
    }
}
