package dev.wgpr.client.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void valuesSurviveAWriteAndARead() {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("v", 1L);
        value.put("text", "quote \" backslash \\ newline \n tab \t nul \u0000 ü €");
        value.put("list", List.of(true, false, -7L, 2.5));
        value.put("none", null);
        value.put("nested", Map.of("k", List.of()));

        assertEquals(value, Json.parse(Json.write(value)));
    }

    @Test
    void aWrittenMessageIsAlwaysOneLine() {
        String written = Json.write(Map.of("m", "a\nb\rc\u2028d"));

        assertFalse(written.contains("\n") || written.contains("\r") || written.contains("\u2028"), written);
    }

    @Test
    void malformedOrHostileInputIsRefused() {
        for (String bad : List.of(
                "",
                "{",
                "{\"a\":1,}",
                "[1 2]",
                "{\"a\":1}x",
                "{\"a\":1,\"a\":2}",
                "01",
                "\"\\x\"",
                "tru",
                "\"\u0001\"")) {
            assertThrows(IllegalArgumentException.class, () -> Json.parse(bad), bad);
        }
        char[] deep = new char[200];
        Arrays.fill(deep, '[');
        assertThrows(IllegalArgumentException.class, () -> Json.parse(new String(deep)));
    }

    @Test
    void onlyAnObjectIsARequest() {
        assertThrows(IllegalArgumentException.class, () -> Json.parseObject("[1]"));
        assertEquals(Map.of("op", "ping"), Json.parseObject(" {\"op\" : \"ping\"} "));
    }
}
