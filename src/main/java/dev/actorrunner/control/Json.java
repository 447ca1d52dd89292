package dev.actorrunner.control;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.jr.ob.JSON;
import com.fasterxml.jackson.jr.ob.JacksonJrExtension;
import com.fasterxml.jackson.jr.ob.api.ExtensionContext;
import com.fasterxml.jackson.jr.ob.api.ReaderWriterModifier;
import com.fasterxml.jackson.jr.ob.api.ValueReader;
import com.fasterxml.jackson.jr.ob.api.ValueWriter;
import com.fasterxml.jackson.jr.ob.impl.AnyReader;
import com.fasterxml.jackson.jr.ob.impl.JSONReader;
import com.fasterxml.jackson.jr.ob.impl.JSONWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.util.Map;

/**
 * The JSON of the control protocol and of {@code status --json}, through jackson-jr: plain values,
 * {@code Map<String, ?>} (objects, in insertion order), {@code List<?>}, {@code String}, {@code Long}
 * or {@code Double} (numbers), {@code Boolean} and {@code null}.
 *
 * <p>This class only configures the library. Reading is jackson-core's strict default (RFC 8259:
 * no comments, trailing commas, NaN, single quotes or unquoted names) plus a bound on nesting and
 * a refusal of anything after the value, since it reads whatever a local process sends the socket;
 * jackson-core's default limits bound number (1,000 digits) and name lengths, and the callers bound
 * the line. A repeated key keeps its last value, as the hand-written reader before it did.
 */
public final class Json {

    /** Deeper nesting is refused: the protocol needs three levels. */
    static final int MAX_DEPTH = 32;

    private static final JsonFactory FACTORY = new JsonFactoryBuilder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
            .characterEscapes(new LineSafe())
            // BigDecimal written as 12 or 0.00001, never 1.2E+1: see PlainDecimal.
            .enable(StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN)
            .build();

    private static final JSON CODEC = JSON.builder(FACTORY)
            // "reload":null says no reload runs: a null value is written, not left out.
            .enable(JSON.Feature.WRITE_NULL_PROPERTIES, JSON.Feature.PRESERVE_FIELD_ORDERING)
            // Plain LinkedHashMaps, not lazily built ones; the last of a repeated key wins.
            .disable(JSON.Feature.USE_DEFERRED_MAPS, JSON.Feature.FAIL_ON_DUPLICATE_MAP_KEYS)
            // No reflection over unknown types: they are written as their toString().
            .disable(JSON.Feature.HANDLE_JAVA_BEANS)
            .register(new PlainNumbers())
            .build();

    private Json() {}

    /** One line of JSON: strings are escaped so that no raw control character, line break included, remains. */
    public static String write(Object value) {
        try {
            return CODEC.asString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a String has no I/O to fail
        }
    }

    /** Parses one JSON text; throws {@link JsonException} with the offset of the first problem. */
    public static Object parse(String text) {
        try (JsonParser p = FACTORY.createParser(text)) {
            try {
                Object value = CODEC.beanFrom(Object.class, p);
                if (p.nextToken() != null) {
                    throw new JsonParseException(p, "unexpected text after the value", p.currentTokenLocation());
                }
                return value;
            } catch (JsonProcessingException e) {
                JsonLocation at = e.getLocation() != null ? e.getLocation() : p.currentLocation();
                // -1: jackson-jr's "no content" has no token to point at; the problem is at the start.
                throw new JsonException("bad JSON at offset " + Math.max(0, at.getCharOffset()) + ": " + e.getOriginalMessage());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Parses a JSON object; anything else is a {@link JsonException}. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> parseObject(String text) {
        Object value = parse(text);
        if (!(value instanceof Map)) throw new JsonException("expected a JSON object");
        return (Map<String, Object>) value;
    }

    /** Malformed JSON, or JSON of the wrong shape. */
    public static final class JsonException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public JsonException(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * JavaScript (and some log viewers) end a line at U+2028 and U+2029, which JSON allows raw:
     * escape them too, so that a reply stays one line wherever it is pasted.
     */
    private static final class LineSafe extends CharacterEscapes {
        private static final long serialVersionUID = 1L;

        @Override
        public int[] getEscapeCodesForAscii() {
            return standardAsciiEscapesForJSON();
        }

        @Override
        public SerializableString getEscapeSequence(int ch) {
            return ch == 0x2028 || ch == 0x2029 ? new SerializedString(String.format("\\u%04x", ch)) : null;
        }
    }

    /** Numbers as callers test them: integers as Long, decimals as Double, and doubles written plain. */
    private static final class PlainNumbers extends JacksonJrExtension {
        @Override
        protected void register(ExtensionContext ctxt) {
            ctxt.insertModifier(new ReaderWriterModifier() {
                @Override
                public ValueReader modifyValueReader(JSONReader ctx, Class<?> type, ValueReader reader) {
                    return type == Object.class ? new LongOrDouble() : reader;
                }

                @Override
                public ValueWriter overrideStandardValueWriter(JSONWriter ctx, Class<?> type, int stdTypeId) {
                    return type == Double.class || type == Float.class ? new PlainDecimal() : null;
                }
            });
        }
    }

    /** jackson-jr hands out Integer, Long or BigInteger by size; one type is simpler to check (a huge integer becomes a Double). */
    private static final class LongOrDouble extends AnyReader {
        @Override
        public Object read(JSONReader r, JsonParser p) throws IOException {
            if (p.currentToken() == JsonToken.VALUE_NUMBER_FLOAT) return p.getDoubleValue();
            if (p.currentToken() != JsonToken.VALUE_NUMBER_INT) return super.read(r, p);
            return p.getNumberType() == JsonParser.NumberType.BIG_INTEGER ? (Object) p.getDoubleValue() : (Object) p.getLongValue();
        }
    }

    /** 2.5, 12 and 0.00001 rather than 12.0 and 1.0E-5; JSON has no NaN or infinity, and a missing measurement reads better as null than as a lie. */
    private static final class PlainDecimal implements ValueWriter {
        @Override
        public void writeValue(JSONWriter context, JsonGenerator g, Object value) throws IOException {
            double d = ((Number) value).doubleValue();
            if (Double.isFinite(d)) {
                g.writeNumber(BigDecimal.valueOf(d).stripTrailingZeros());
            } else {
                g.writeNull();
            }
        }

        @Override
        public Class<?> valueType() {
            return Double.class;
        }
    }
}
