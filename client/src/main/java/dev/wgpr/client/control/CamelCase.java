package dev.wgpr.client.control;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The one naming style of {@code status --json}, also for the keys of its counter maps, which come from enum
 * names ({@code BAD_MAC1}, {@code DENY_NO_APP}): readers of the JSON get {@code badMac1}, {@code denyNoApp}.
 */
public final class CamelCase {
    private CamelCase() {}

    /** {@code BAD_MAC1} or {@code deny_no_app} as {@code badMac1}, {@code denyNoApp}. */
    public static String of(String name) {
        StringBuilder out = new StringBuilder();
        boolean upper = false;
        for (char c : name.toLowerCase(Locale.ROOT).toCharArray()) {
            if (c == '_') {
                upper = out.length() > 0;
            } else {
                out.append(upper ? Character.toUpperCase(c) : c);
                upper = false;
            }
        }
        return out.toString();
    }

    /** {@code counts} with each key {@link #of camelCase}, in the same order. */
    public static <V> Map<String, V> keys(Map<String, V> counts) {
        Map<String, V> camel = new LinkedHashMap<>();
        counts.forEach((name, value) -> camel.put(of(name), value));
        return camel;
    }

    /** {@code badMac1} as the words {@code bad mac1}, for the text of {@code status}. */
    public static String words(String camel) {
        StringBuilder out = new StringBuilder();
        for (char c : camel.toCharArray()) {
            if (Character.isUpperCase(c)) {
                out.append(' ').append(Character.toLowerCase(c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
