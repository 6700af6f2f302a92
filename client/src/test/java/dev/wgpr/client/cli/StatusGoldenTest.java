package dev.wgpr.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The text of {@code wg-pr status} is exactly what its golden file holds, for each representative state
 * ({@link StatusStates}), read at a fixed clock. Any change of the text fails here with a diff; after a wanted
 * change, {@code -Dwgpr.golden.update=true} rewrites the files, and the diff of the commit shows the change.
 */
class StatusGoldenTest {
    private static final Path GOLDEN = Path.of("src/test/resources/dev/wgpr/client/cli/status");

    @ParameterizedTest
    @EnumSource(StatusStates.class)
    void statusPrintsExactlyItsGoldenFile(StatusStates state) throws IOException {
        String actual = state.text();
        Path file = GOLDEN.resolve(state.fileName());
        if (Boolean.getBoolean("wgpr.golden.update")) {
            Files.writeString(file, actual, StandardCharsets.UTF_8);
        }
        String expected = Files.readString(file, StandardCharsets.UTF_8);
        if (!expected.equals(actual)) {
            fail(file + " differs from what status prints for " + state + ":\n" + TextDiff.of(expected, actual));
        }
    }

    @Test
    void noGoldenFileShowsAJavaInternal() throws IOException {
        for (StatusStates state : StatusStates.values()) {
            String text = Files.readString(GOLDEN.resolve(state.fileName()), StandardCharsets.UTF_8);
            for (String internal : new String[] {
                "PER_PREFIX",
                "DI_SEMI",
                "AddRoute[",
                "Address[",
                "LinkUp[",
                "{",
                "BAD_MAC",
                "DENY_",
                "T07:",
                "T08:",
                "proto 87"
            }) {
                assertTrue(!text.contains(internal), state.fileName() + " shows " + internal + ":\n" + text);
            }
        }
    }

    @Test
    void theDiffOfAChangedLineNamesItWithItsContext() {
        assertEquals(
                "--- expected\n+++ actual\n  a\n  b\n- c\n+ C\n  d\n  e\n",
                TextDiff.of("a\nb\nc\nd\ne\nf\ng\n", "a\nb\nC\nd\ne\nf\ng\n"));
    }
}
