package dev.wgpr.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.control.ControlJson;
import dev.wgpr.client.control.DaemonStatus;
import dev.wgpr.client.control.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code status --json} is what docs/status.schema.json documents, for the same states as the golden files of
 * the text, and docs/status-json.md's example is real output. The schema is checked by {@link JsonSchemaSubset}.
 */
class StatusJsonSchemaTest {
    private static final Path DOCS = Path.of("../docs");

    private static JsonSchemaSubset schema() throws IOException {
        return JsonSchemaSubset.ofStatus();
    }

    /** What {@code wg-pr status --json} prints for {@code status}, read back. */
    private static Map<String, Object> printed(DaemonStatus status) {
        return Json.parseObject(Json.write(status));
    }

    @ParameterizedTest
    @EnumSource(StatusStates.class)
    void statusJsonMatchesItsDocumentedSchema(StatusStates state) throws IOException {
        Map<String, Object> json = printed(state.status);

        assertEquals(List.of(), schema().errors(json), () -> Json.write(state.status));
        assertEquals((long) DaemonStatus.SCHEMA, json.get("schemaVersion"));
    }

    /** The CLI reads the daemon's answer into the records and writes it again: nothing may be lost on the way. */
    @ParameterizedTest
    @EnumSource(StatusStates.class)
    void statusSurvivesTheControlSocketAsItWasSent(StatusStates state) {
        String line = ControlJson.write(state.status);

        assertEquals(state.status, ControlJson.readReply(line, DaemonStatus.class), line);
    }

    @Test
    void theSchemaNamesEveryFieldInCamelCase() throws IOException {
        String schema = Files.readString(DOCS.resolve("status.schema.json"), StandardCharsets.UTF_8);
        List<String> names = new ArrayList<>();
        collectPropertyNames(Json.parse(schema), names);

        assertTrue(names.size() > 100, names::toString);
        assertEquals(
                List.of(),
                names.stream()
                        .filter(name -> !name.matches("[a-z][A-Za-z0-9]*"))
                        .toList());
    }

    private static void collectPropertyNames(Object schema, List<String> names) {
        if (schema instanceof Map<?, ?> object) {
            if (object.get("properties") instanceof Map<?, ?> properties) {
                properties.keySet().forEach(name -> names.add((String) name));
            }
            object.values().forEach(value -> collectPropertyNames(value, names));
        } else if (schema instanceof List<?> list) {
            list.forEach(value -> collectPropertyNames(value, names));
        }
    }

    @Test
    void theSchemaRefusesWhatUsersSawBefore() throws IOException {
        JsonSchemaSubset schema = schema();
        String good = Json.write(StatusStates.PER_PREFIX.status);

        List<String> enumName = schema.errors(Json.parse(good.replace("\"per-prefix\"", "\"PER_PREFIX\"")));
        List<String> snakeCounter = schema.errors(Json.parse(good.replace("\"badMac1\"", "\"BAD_MAC1\"")));
        List<String> oldVersionField = schema.errors(Json.parse(good.replace("\"schemaVersion\"", "\"schema\"")));
        List<String> rawHandshake = schema.errors(Json.parse(good.replace("2026-12-06T08:59:42Z", "none yet")));

        assertTrue(enumName.toString().contains("$.tunnels[0].routeMode"), enumName::toString);
        assertTrue(snakeCounter.toString().contains("BAD_MAC1 (name)"), snakeCounter::toString);
        assertTrue(oldVersionField.toString().contains("no \"schemaVersion\""), oldVersionField::toString);
        assertTrue(oldVersionField.toString().contains("$.schema: not in the schema"), oldVersionField::toString);
        assertTrue(rawHandshake.toString().contains("latestHandshake"), rawHandshake::toString);
    }

    @Test
    void theDocumentedExampleIsWhatStatusPrintsForATunnel() throws IOException {
        String doc = Files.readString(DOCS.resolve("status-json.md"), StandardCharsets.UTF_8);
        int start = doc.indexOf("```json\n");
        assertTrue(start >= 0, "docs/status-json.md has a ```json example");
        String example = doc.substring(start + "```json\n".length(), doc.indexOf("```", start + 7));

        assertEquals(
                printed(StatusStates.PER_PREFIX.status),
                Json.parseObject(example),
                () -> "the example is not what status --json prints: " + Json.write(StatusStates.PER_PREFIX.status));
        assertEquals(List.of(), schema().errors(Json.parse(example)));
    }
}
