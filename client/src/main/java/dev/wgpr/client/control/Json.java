package dev.wgpr.client.control;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The control socket's JSON edge (jackson-jr): records to and from one line of text, and untyped values for
 * the readers that need no type ({@link Map} with its key order, {@link List}, strings, {@link Long} when
 * integral, else {@link Double}, booleans and null). Strict, because the daemon reads it from unprivileged
 * callers: a duplicate key, trailing text or nesting deeper than 64 levels is an error. What is written is
 * always exactly one line.
 */
public final class Json {
    private static final int MAX_DEPTH = 64;

    private static final JsonFactory FACTORY = new JsonFactoryBuilder()
            .characterEscapes(new OneLine())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(
                    StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
            .build();

    private static final JSON JR = JSON.builder(FACTORY)
            .enable(
                    JSON.Feature.WRITE_RECORD_FIELDS_IN_DECLARATION_ORDER,
                    JSON.Feature.PRESERVE_FIELD_ORDERING,
                    JSON.Feature.WRITE_NULL_PROPERTIES)
            .disable(JSON.Feature.USE_FIELDS)
            .build();

    private Json() {}

    /**
     * Prepares, on the calling thread, what this JVM's first write and parse spend most of their time on,
     * for a command that will talk to the daemon and calls this on a thread of its own at once, so that it
     * runs beside the command's own start-up on another core. First this class's initialiser (jackson's
     * factory, and jackson-jr's writer, whose initialiser reads the time-zone database for the UTC it
     * keeps), which the request needs; then that of BigDecimal, which every jackson parser's base class
     * needs, and which since JDK 25 computes 5^(2^16) by squaring (some 25 ms compiled, 50 to 85 ms
     * interpreted; cli-fast.jvm-options). A class initialised on two threads at once waits; the
     * command's own thread comes to jackson's classes only through this class, whose initialisation it
     * then waits for, and neither initialiser needs a class of the command's, so that no wait can go round
     * in a circle.
     */
    public static void prepare() {
        BigDecimal.ZERO.signum();
    }

    /** Thrown for text that is not one well-formed JSON value, or not of the type asked for. */
    public static final class JsonException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        JsonException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    public static Object parse(String text) {
        try (JsonParser parser = FACTORY.createParser(text)) {
            if (parser.nextToken() == null) {
                throw new JsonException("no JSON value", null);
            }
            Object value = value(parser);
            if (parser.nextToken() != null) {
                throw new JsonException(
                        "trailing characters at offset "
                                + parser.currentTokenLocation().getCharOffset(),
                        null);
            }
            return value;
        } catch (JsonProcessingException e) {
            throw new JsonException(e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new JsonException(e.getMessage(), e);
        }
    }

    /** Parses a JSON object. */
    @SuppressWarnings("unchecked") // value() builds objects only as Map<String, Object>
    public static Map<String, Object> parseObject(String text) {
        if (!(parse(text) instanceof Map<?, ?> map)) {
            throw new JsonException("expected a JSON object", null);
        }
        return (Map<String, Object>) map;
    }

    /** Reads a {@code type} (a record) from a JSON object, after checking the text as {@link #parse} does. */
    public static <T> T read(String text, Class<T> type) {
        parseObject(text);
        try {
            return JR.beanFrom(type, text);
        } catch (IOException | RuntimeException e) {
            throw new JsonException(reason(e), e);
        }
    }

    /** A value (record, map, list, string, number, boolean or null) as one line of JSON. */
    public static String write(Object value) {
        try {
            return JR.asString(value);
        } catch (IOException e) {
            throw new IllegalArgumentException("no JSON form for " + value + ": " + e.getMessage(), e);
        }
    }

    /** The first line of what went wrong, innermost cause first: a record's own check says it best. */
    private static String reason(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return message.lines().findFirst().orElse(message);
    }

    private static Object value(JsonParser parser) throws IOException {
        return switch (parser.currentToken()) {
            case START_OBJECT -> {
                Map<String, Object> map = new LinkedHashMap<>();
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String key = parser.currentName();
                    parser.nextToken();
                    map.put(key, value(parser));
                }
                yield map;
            }
            case START_ARRAY -> {
                List<Object> list = new ArrayList<>();
                while (parser.nextToken() != JsonToken.END_ARRAY) {
                    list.add(value(parser));
                }
                yield list;
            }
            case VALUE_STRING -> parser.getText();
            case VALUE_NUMBER_INT ->
                parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                        ? (Object) parser.getDoubleValue()
                        : (Object) parser.getLongValue();
            case VALUE_NUMBER_FLOAT -> parser.getDoubleValue();
            case VALUE_TRUE -> Boolean.TRUE;
            case VALUE_FALSE -> Boolean.FALSE;
            case VALUE_NULL -> null;
            default -> throw new JsonException("unexpected " + parser.currentToken(), null);
        };
    }

    /** Escapes DEL and the Unicode line and paragraph separators too, so no reader sees a line end inside. */
    private static final class OneLine extends CharacterEscapes {
        private static final long serialVersionUID = 1L;
        private static final int[] ASCII = standardAsciiEscapesForJSON();

        static {
            ASCII[0x7f] = ESCAPE_STANDARD;
        }

        @Override
        public int[] getEscapeCodesForAscii() {
            return ASCII;
        }

        @Override
        public SerializableString getEscapeSequence(int ch) {
            return ch == 0x2028 || ch == 0x2029 ? new SerializedString(String.format("\\u%04x", ch)) : null;
        }
    }
}
