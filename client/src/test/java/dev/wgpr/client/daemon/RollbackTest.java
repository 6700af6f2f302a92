package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RollbackTest {
    @Test
    void undoesTheStagesLastFirstAndGoesOnPastAFailure() {
        List<String> undone = new ArrayList<>();
        Rollback rollback = new Rollback();
        rollback.add("device", () -> undone.add("device"));
        rollback.add("routes", () -> {
            undone.add("routes");
            throw new IOException("route vanished");
        });
        rollback.add("policy", () -> undone.add("policy"));

        List<String> failures = rollback.unwind();

        assertEquals(List.of("policy", "routes", "device"), undone);
        assertEquals(List.of("undo routes: route vanished"), failures);
        assertEquals(List.of(), rollback.unwind(), "each undo runs once");
    }
}
