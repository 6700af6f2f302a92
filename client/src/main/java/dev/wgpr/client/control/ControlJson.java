package dev.wgpr.client.control;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The control protocol's records as the socket carries them ({@link Protocol}): a {@link Request} with {@code
 * "v"} and {@code "op"}, an answer with {@code "v"} and {@code "ok"}, a message that follows an answer with
 * {@code "v"} and {@code "event"}. The only place where the protocol is untyped.
 */
public final class ControlJson {
    private static final String EXIT = "exit";
    private static final String DENY = "deny";

    private ControlJson() {}

    /** Thrown for a message of another protocol version than {@link Protocol#VERSION}. */
    public static final class OtherVersionException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        private final String version;

        OtherVersionException(Object version) {
            super("protocol version " + version + " is not " + Protocol.VERSION);
            this.version = String.valueOf(version);
        }

        /** The version the message said it was, as text ({@code null} when it said none). */
        public String version() {
            return version;
        }
    }

    public static String write(Request request) {
        return tagged("op", request.op(), request);
    }

    public static String write(Reply reply) {
        return switch (reply) {
            case Reply.Exit exit -> tagged("event", EXIT, exit);
            case DeniedAttempt denied -> tagged("event", DENY, denied);
            case Reply.Error error -> tagged("ok", false, error);
            default -> tagged("ok", true, reply);
        };
    }

    /**
     * The request on {@code line}.
     *
     * @throws OtherVersionException for another protocol version
     * @throws IllegalArgumentException for anything else that is not a whole, well-formed request, with a
     *     message for the caller
     */
    public static Request readRequest(String line) {
        Map<String, Object> fields = fields(line);
        if (!(fields.get("op") instanceof String op)) {
            throw new IllegalArgumentException("no \"op\"");
        }
        return Json.read(line, Request.type(op));
    }

    /**
     * The answer on {@code line}: an {@link Reply.Error}, or else the {@code expected} kind of answer.
     *
     * @throws OtherVersionException for another protocol version
     */
    public static Reply readReply(String line, Class<? extends Reply> expected) {
        Map<String, Object> fields = fields(line);
        if (Boolean.FALSE.equals(fields.get("ok"))) {
            return Json.read(line, Reply.Error.class);
        }
        return Json.read(line, expected);
    }

    /** A message that follows an answer: an {@link Reply.Exit} or a {@link DeniedAttempt}. */
    public static Reply readEvent(String line) {
        Object event = fields(line).get("event");
        if (EXIT.equals(event)) {
            return Json.read(line, Reply.Exit.class);
        }
        if (DENY.equals(event)) {
            return Json.read(line, DeniedAttempt.class);
        }
        throw new IllegalArgumentException("not an event: " + event);
    }

    private static Map<String, Object> fields(String line) {
        Map<String, Object> fields = Json.parseObject(line);
        if (!Long.valueOf(Protocol.VERSION).equals(fields.get("v"))) {
            throw new OtherVersionException(fields.get("v"));
        }
        return fields;
    }

    /**
     * {@code {"v":1,"TAG":VALUE,...}} with the fields of {@code message} (a record, which has no component
     * named v, op, ok or event) in their order. Joined as written rather than parsed back into one map, so
     * that writing needs no parser: a jackson parser's class needs BigDecimal's, tens of ms in the CLI's
     * quick commands (cli-fast.jvm-options), which {@code run} would wait for before its request could go
     * out.
     */
    private static String tagged(String tag, Object value, Object message) {
        Map<String, Object> head = new LinkedHashMap<>();
        head.put("v", Protocol.VERSION);
        head.put(tag, value);
        String start = Json.write(head);
        String fields = Json.write(message);
        if (fields.equals("{}")) {
            return start;
        }
        return start.substring(0, start.length() - 1) + "," + fields.substring(1);
    }
}
