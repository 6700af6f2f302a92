package dev.wgpr.client.config;

import dev.wgpr.client.config.ConfigProblem.Reason;
import java.time.temporal.Temporal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;
import org.tomlj.TomlArray;
import org.tomlj.TomlPosition;
import org.tomlj.TomlTable;

/**
 * Reads the values of one TOML table with their types checked, reporting every problem with the
 * value's position and field path. Arrays of tables ({@code [[peer]]}) and arrays of inline tables
 * are the same to it.
 */
final class TableReader {
    private final Problems problems;
    private final TomlTable table;
    private final String path;
    private final TomlPosition position;

    /** Reads {@code table}, reporting at once every key not in {@code knownKeys}. */
    TableReader(Problems problems, TomlTable table, String path, TomlPosition position, List<String> knownKeys) {
        this.problems = problems;
        this.table = table;
        this.path = path;
        this.position = position;
        for (String key : table.keySet()) {
            if (!knownKeys.contains(key)) {
                problems.error(
                        table.inputPositionOf(List.of(key)),
                        field(key),
                        Reason.UNKNOWN_KEY,
                        unknownKeyMessage(key, knownKeys));
            }
        }
    }

    /** The field path of {@code key} in this table: {@code peer[0].endpoint}. */
    String field(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    String path() {
        return path;
    }

    TomlPosition position() {
        return position;
    }

    boolean has(String key) {
        return table.contains(List.of(key));
    }

    TomlPosition keyPosition(String key) {
        return table.inputPositionOf(List.of(key));
    }

    /** Reports a missing required key at this table's header. */
    void missing(String key, String message) {
        problems.error(position, field(key), Reason.MISSING_REQUIRED_KEY, message);
    }

    Optional<Located<String>> string(String key) {
        return value(key, String.class, "a string");
    }

    Optional<Located<String>> requiredString(String key, String message) {
        if (!has(key)) {
            missing(key, message);
        }
        return string(key);
    }

    Optional<Located<Long>> integer(String key) {
        return value(key, Long.class, "an integer");
    }

    /** An array of strings; elements of another type are reported and left out. */
    Optional<List<Located<String>>> strings(String key) {
        return array(key, String.class, "a string");
    }

    /** A required, non-empty array of strings; absent or empty is reported as missing. */
    Optional<List<Located<String>>> requiredStrings(String key, String message) {
        if (!has(key) || (table.get(List.of(key)) instanceof TomlArray array && array.isEmpty())) {
            missing(key, message);
            return Optional.empty();
        }
        return strings(key);
    }

    /** An array of tables ({@code [[key]]} or {@code key = [{…}, …]}), each read with {@code knownKeys}. */
    Optional<List<TableReader>> tables(String key, List<String> knownKeys) {
        if (has(key) && table.get(List.of(key)) instanceof TomlTable) {
            problems.error(
                    keyPosition(key),
                    field(key),
                    Reason.WRONG_TYPE,
                    key + " must be an array of tables: write [[" + field(key).replaceAll("\\[\\d+]", "") + "]]");
            return Optional.empty();
        }
        return array(key, TomlTable.class, "a table")
                .map(elements -> elements.stream()
                        .map(element -> new TableReader(
                                problems, element.value(), element.field(), element.position(), knownKeys))
                        .toList());
    }

    /** A table ({@code [key]} or {@code key = {…}}), read with {@code knownKeys}. */
    Optional<TableReader> table(String key, List<String> knownKeys) {
        return value(key, TomlTable.class, "a table")
                .map(located -> new TableReader(problems, located.value(), field(key), keyPosition(key), knownKeys));
    }

    /** Parses a string value, reporting the parser's reason and message at the value's position. */
    <T> Optional<T> parse(Located<String> value, Function<String, T> parser) {
        try {
            return Optional.of(parser.apply(value.value()));
        } catch (InvalidValueException e) {
            problems.error(value, e.reason(), e.getMessage());
            return Optional.empty();
        }
    }

    /** Parses every element of a string array; the result holds only those that parsed. */
    <T> Optional<List<T>> parseEach(Optional<List<Located<String>>> values, Function<String, T> parser) {
        return values.map(list -> list.stream()
                .map(value -> parse(value, parser))
                .flatMap(Optional::stream)
                .toList());
    }

    private <T> Optional<Located<T>> value(String key, Class<T> type, String typeName) {
        if (!has(key)) {
            return Optional.empty();
        }
        Object value = table.get(List.of(key));
        TomlPosition valuePosition = table.entry(List.of(key)).value().position();
        if (!type.isInstance(value)) {
            problems.error(valuePosition, field(key), Reason.WRONG_TYPE, wrongType(key, typeName, value));
            return Optional.empty();
        }
        return Optional.of(new Located<>(type.cast(value), field(key), valuePosition));
    }

    private <T> Optional<List<Located<T>>> array(String key, Class<T> elementType, String elementTypeName) {
        Optional<Located<TomlArray>> array = value(key, TomlArray.class, "an array of " + plural(elementTypeName));
        if (array.isEmpty()) {
            return Optional.empty();
        }
        TomlArray elements = array.get().value();
        List<Located<T>> result = new ArrayList<>();
        for (int i = 0; i < elements.size(); i++) {
            Object element = elements.get(i);
            String elementField = field(key) + "[" + i + "]";
            if (elementType.isInstance(element)) {
                result.add(new Located<>(elementType.cast(element), elementField, elements.inputPositionOf(i)));
            } else {
                problems.error(
                        elements.inputPositionOf(i),
                        elementField,
                        Reason.WRONG_TYPE,
                        "each element of " + key + " must be " + elementTypeName + ", not " + typeName(element));
            }
        }
        return Optional.of(result);
    }

    private static String wrongType(String key, String expected, Object actual) {
        return key + " must be " + expected + ", not " + typeName(actual);
    }

    private static String plural(String typeName) {
        return typeName.substring(typeName.indexOf(' ') + 1) + "s";
    }

    private static String typeName(Object value) {
        return switch (value) {
            case String s -> "a string";
            case Long l -> "an integer";
            case Double d -> "a float";
            case Boolean b -> "a boolean";
            case TomlArray a -> "an array";
            case TomlTable t -> "a table";
            case Temporal t -> "a date or time";
            default -> "a " + value.getClass().getSimpleName();
        };
    }

    /** Suggests the known key the writer most likely meant: a case slip, a typo, a wg-quick name. */
    private static String unknownKeyMessage(String key, List<String> knownKeys) {
        String message = "unknown key '" + key + "'";
        Optional<String> closest = knownKeys.stream()
                .filter(known -> isLikelyTypo(key, known))
                .min(Comparator.comparingInt(known -> editDistance(known, key)));
        return closest.map(known -> message + "; did you mean '" + known + "'?")
                .orElse(message + "; expected one of " + String.join(", ", knownKeys));
    }

    private static boolean isLikelyTypo(String key, String known) {
        // Short keys get one slip, longer ones two, so that "dn" suggests "dns" but "ip" suggests nothing.
        int allowed = Math.max(1, Math.min(2, known.length() / 4));
        return editDistance(known.toLowerCase(Locale.ROOT), key.toLowerCase(Locale.ROOT)) <= allowed;
    }

    /** Levenshtein distance; keys are short, so the quadratic table is fine. */
    static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
