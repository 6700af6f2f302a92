package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.control.DeniedAttempt;
import dev.wgpr.enforcement.Counter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A denied attempt carries a stable code beside its words, one per kind of denial, documented. */
class DenyReasonTest {
    private static List<Counter> denials() {
        return Arrays.stream(Counter.values())
                .filter(counter -> counter.name().startsWith("DENY_"))
                .toList();
    }

    @Test
    void eachKindOfDenialHasItsOwnCodeAndWordsThatAreNotTheCode() {
        Set<String> codes = new HashSet<>();
        for (Counter counter : denials()) {
            DenyReason reason = DenyReason.of(counter);

            assertTrue(reason.code().matches("[a-z]+(-[a-z]+)*"), counter + ": " + reason.code());
            assertTrue(codes.add(reason.code()), counter + " shares its code " + reason.code());
            assertNotEquals(reason.code(), reason.words(), counter + " has no words of its own");
        }
        assertEquals("not-an-app", DenyReason.of(Counter.DENY_NO_APP).code());
    }

    @Test
    void everyCodeIsDocumentedWithTheJson() throws IOException {
        String doc = Files.readString(Path.of("../docs/status-json.md"), StandardCharsets.UTF_8);
        List<String> codes = new ArrayList<>(
                denials().stream().map(counter -> DenyReason.of(counter).code()).toList());
        codes.add(DeniedAttempt.TAKEOVER);
        codes.add(DeniedAttempt.LEFT_CGROUP);

        for (String code : codes) {
            assertTrue(doc.contains("`" + code + "`"), "docs/status-json.md does not list " + code);
        }
    }
}
