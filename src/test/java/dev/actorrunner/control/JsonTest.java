package dev.actorrunner.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void writesObjectsInInsertionOrderOnOneLine() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("b", 1);
        m.put("a", List.of(true, false));
        m.put("n", null);
        m.put("x", 2.5);
        m.put("big", 12345678901L);
        assertEquals("{\"b\":1,\"a\":[true,false],\"n\":null,\"x\":2.5,\"big\":12345678901}", Json.write(m));
    }

    @Test
    void escapesEverythingThatCouldBreakALine() {
        String nasty = "quote\" back\\ nl\n cr\r tab\t nul\u0000 ls\u2028 é 😀";
        String line = Json.write(nasty);
        assertFalse(line.contains("\n") || line.contains("\r") || line.contains("\u2028") || line.contains("\u0000"), line);
        assertEquals(nasty, Json.parse(line));
    }

    @Test
    void notANumberIsNull() {
        assertEquals("[null,null,1.5,-0.25]", Json.write(Arrays.asList(Double.NaN, Double.POSITIVE_INFINITY, 1.5, -0.25)));
    }

    @Test
    void doublesAreWrittenAsPlainDecimals() {
        assertEquals("[12,0.00001,1000000000000000000000000000000]", Json.write(List.of(12.0, 1e-5, 1e30)));
    }

    @Test
    void parsesWhatItWritesBack() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("s", "text");
        m.put("i", 42L);
        m.put("d", 0.1);
        m.put("l", List.of(1L, "two", Map.of("three", 3L)));
        m.put("t", true);
        m.put("z", null);
        assertEquals(m, Json.parse(Json.write(m)));
    }

    @Test
    void readsStandardJson() {
        Object v = Json.parse(" { \"a\" : [ 1 , -2 , 3.5e2 , 0 , -0.5 ] , \"b\" : \"\\u00e9\\/\\b\\f\" , \"c\" : { } , \"d\" : [ ] } ");
        assertEquals(Map.of("a", List.of(1L, -2L, 350.0, 0L, -0.5), "b", "é/\b\f", "c", Map.of(), "d", List.of()), v);
        assertEquals(1e30, Json.parse("1000000000000000000000000000000"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "{", "{\"a\"}", "{\"a\":1,}", "[1,]", "[1 2]", "01", "1.", "-", ".5", "1e", "tru",
        "\"unterminated", "\"raw\ttab\"", "\"bad \\x escape\"", "\"\\u12\"", "{a:1}", "{\"a\":1} x", "NaN", "'s'",
        "// comment\n1", "1 2", "{} {}"})
    void refusesMalformedJsonWithTheOffset(String text) {
        Json.JsonException e = assertThrows(Json.JsonException.class, () -> Json.parse(text));
        assertTrue(e.getMessage().startsWith("bad JSON at offset "), e.getMessage());
    }

    @Test
    void refusesDeepNesting() {
        String deep = "[".repeat(Json.MAX_DEPTH + 2) + "]".repeat(Json.MAX_DEPTH + 2);
        assertThrows(Json.JsonException.class, () -> Json.parse(deep));
        String ok = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
        assertTrue(Json.parse(ok) instanceof List);
    }

    @Test
    void aRepeatedKeyKeepsItsLastValue() {
        assertEquals(Map.of("a", 2L), Json.parseObject("{\"a\":1,\"a\":2}"));
    }

    @Test
    void parseObjectWantsAnObject() {
        assertThrows(Json.JsonException.class, () -> Json.parseObject("[1]"));
        assertEquals(Map.of("a", 1L), Json.parseObject("{\"a\":1}"));
    }
}
