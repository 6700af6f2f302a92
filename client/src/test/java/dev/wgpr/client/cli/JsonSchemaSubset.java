package dev.wgpr.client.cli;

import dev.wgpr.client.control.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The part of JSON Schema 2020-12 that docs/status.schema.json uses, checked against a value as {@link
 * dev.wgpr.client.control.Json#parse} reads it. No validator library is in the build, and this is enough for a
 * schema of records: a keyword outside the subset is an error, so the schema cannot say more than is checked.
 */
public final class JsonSchemaSubset {
    private static final Set<String> ANNOTATIONS = Set.of("$schema", "$id", "title", "description", "$defs");
    private static final Set<String> CHECKED = Set.of(
            "$ref",
            "anyOf",
            "type",
            "const",
            "enum",
            "minimum",
            "pattern",
            "format",
            "required",
            "properties",
            "additionalProperties",
            "propertyNames",
            "items");

    private final Map<?, ?> root;

    JsonSchemaSubset(Map<?, ?> root) {
        this.root = root;
    }

    /** docs/status.schema.json, the schema of {@code status --json} (read from a module's directory). */
    public static JsonSchemaSubset ofStatus() throws IOException {
        return new JsonSchemaSubset(
                Json.parseObject(Files.readString(Path.of("../docs/status.schema.json"), StandardCharsets.UTF_8)));
    }

    /** Where {@code value} breaks the schema, each as {@code $.tunnels[0].routeMode: ...}; empty when nowhere. */
    public List<String> errors(Object value) {
        List<String> errors = new ArrayList<>();
        check(value, root, "$", errors);
        return errors;
    }

    private void check(Object value, Map<?, ?> schema, String path, List<String> errors) {
        for (Object keyword : schema.keySet()) {
            if (!CHECKED.contains(keyword) && !ANNOTATIONS.contains(keyword)) {
                throw new IllegalArgumentException("schema keyword " + keyword + " at " + path + " is not checked");
            }
        }
        if (schema.get("$ref") instanceof String ref) {
            check(value, definition(ref), path, errors);
        }
        if (schema.get("anyOf") instanceof List<?> branches) {
            List<List<String>> each = branches.stream()
                    .map(branch -> errors(value, (Map<?, ?>) branch, path))
                    .toList();
            if (each.stream().noneMatch(List::isEmpty)) {
                errors.add(path + ": matches none of its choices: " + each);
            }
        }
        if (schema.containsKey("type") && !typed(value, schema.get("type"))) {
            errors.add(path + ": " + describe(value) + " is not of type " + schema.get("type"));
            return;
        }
        if (schema.containsKey("const") && !same(schema.get("const"), value)) {
            errors.add(path + ": " + describe(value) + " is not " + schema.get("const"));
        }
        if (schema.get("enum") instanceof List<?> values && values.stream().noneMatch(v -> same(v, value))) {
            errors.add(path + ": " + describe(value) + " is not one of " + values);
        }
        if (schema.get("minimum") instanceof Number minimum
                && value instanceof Number number
                && number.doubleValue() < minimum.doubleValue()) {
            errors.add(path + ": " + number + " is below " + minimum);
        }
        if (schema.get("pattern") instanceof String pattern
                && value instanceof String text
                && !Pattern.compile(pattern).matcher(text).find()) {
            errors.add(path + ": \"" + text + "\" does not match " + pattern);
        }
        if ("date-time".equals(schema.get("format")) && value instanceof String text) {
            try {
                Instant.parse(text);
            } catch (DateTimeParseException e) {
                errors.add(path + ": \"" + text + "\" is not an ISO-8601 instant");
            }
        }
        if (value instanceof Map<?, ?> object) {
            object(object, schema, path, errors);
        }
        if (value instanceof List<?> array && schema.get("items") instanceof Map<?, ?> items) {
            for (int i = 0; i < array.size(); i++) {
                check(array.get(i), items, path + "[" + i + "]", errors);
            }
        }
    }

    private void object(Map<?, ?> object, Map<?, ?> schema, String path, List<String> errors) {
        if (schema.get("required") instanceof List<?> required) {
            for (Object name : required) {
                if (!object.containsKey(name)) {
                    errors.add(path + ": no \"" + name + "\"");
                }
            }
        }
        Map<?, ?> properties = schema.get("properties") instanceof Map<?, ?> p ? p : Map.of();
        object.forEach((name, member) -> {
            String at = path + "." + name;
            if (schema.get("propertyNames") instanceof Map<?, ?> names) {
                check(name, names, at + " (name)", errors);
            }
            if (properties.get(name) instanceof Map<?, ?> property) {
                check(member, property, at, errors);
            } else if (Boolean.FALSE.equals(schema.get("additionalProperties"))) {
                errors.add(at + ": not in the schema");
            } else if (schema.get("additionalProperties") instanceof Map<?, ?> others) {
                check(member, others, at, errors);
            }
        });
    }

    private List<String> errors(Object value, Map<?, ?> schema, String path) {
        List<String> errors = new ArrayList<>();
        check(value, schema, path, errors);
        return errors;
    }

    private Map<?, ?> definition(String ref) {
        String prefix = "#/$defs/";
        if (!ref.startsWith(prefix)
                || !(((Map<?, ?>) root.get("$defs")).get(ref.substring(prefix.length()))
                        instanceof Map<?, ?> definition)) {
            throw new IllegalArgumentException("unresolved $ref " + ref);
        }
        return definition;
    }

    private static boolean typed(Object value, Object type) {
        if (type instanceof List<?> types) {
            return types.stream().anyMatch(t -> typed(value, t));
        }
        return switch ((String) type) {
            case "null" -> value == null;
            case "string" -> value instanceof String;
            case "integer" -> value instanceof Long;
            case "number" -> value instanceof Number;
            case "boolean" -> value instanceof Boolean;
            case "object" -> value instanceof Map;
            case "array" -> value instanceof List;
            default -> throw new IllegalArgumentException("unknown type " + type);
        };
    }

    /** JSON equality for the scalars of const and enum: integers read as Long on both sides. */
    private static boolean same(Object expected, Object value) {
        return expected == null ? value == null : expected.equals(value);
    }

    private static String describe(Object value) {
        return value instanceof String text ? "\"" + text + "\"" : String.valueOf(value);
    }
}
