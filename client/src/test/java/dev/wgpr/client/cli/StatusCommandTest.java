package dev.wgpr.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.wgpr.client.control.DaemonStatus;
import dev.wgpr.client.control.Json;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code wg-pr status} itself, in process: what it prints reaches its output, in both forms. */
class StatusCommandTest {
    /** An instance no daemon serves: unique to this run, and never started. */
    private static final String NOBODY_HOME =
            "status-test-" + ProcessHandle.current().pid();

    @Test
    void withoutADaemonTheTextSaysSoAndReachesTheOutput() {
        CliRun run = CliRun.of("--instance", NOBODY_HOME, "status");

        assertEquals(0, run.exitCode(), run::toString);
        assertEquals("instance " + NOBODY_HOME + ": no daemon runs, so no tunnel is up\n", run.out(), run::toString);
    }

    @Test
    void withoutADaemonTheJsonIsTheDocumentedEmptyState() throws Exception {
        CliRun run = CliRun.of("--instance", NOBODY_HOME, "status", "--json");
        Map<String, Object> json = Json.parseObject(run.out());

        assertEquals(0, run.exitCode(), run::toString);
        assertEquals((long) DaemonStatus.SCHEMA, json.get("schemaVersion"));
        assertEquals(null, json.get("daemon"));
        assertEquals(List.of(), JsonSchemaSubset.ofStatus().errors(json));
    }
}
