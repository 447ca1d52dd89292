package dev.actorrunner.fleet;

import akka.actor.ExtendedActorSystem;
import akka.serialization.SerializerWithStringManifest;
import dev.actorrunner.control.Json;
import java.io.NotSerializableException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The fleet's messages as JSON (the control socket's library, jackson-jr), one manifest per type.
 * Chosen over Java serialization (off: it runs code chosen by whoever can reach the port) and
 * over protobuf (a code generator for a handful of small records). A field added later must
 * be optional on reading, so that nodes of two versions can run side by side during an upgrade.
 */
public final class FleetSerializer extends SerializerWithStringManifest {

    /** Akka reserves 0-40; any other fixed number, unique in the system, will do. */
    static final int IDENTIFIER = 1_515_001;

    /** How one message type is written and read. */
    record Codec<T>(Class<T> type, String manifest, Function<T, Map<String, Object>> write,
                    Function<Fields, T> read) {
        Map<String, Object> writeAny(Object o) {
            return write.apply(type.cast(o));
        }
    }

    /** Every {@link FleetMessage}; a type missing here fails its first send, and FleetSerializerTest. */
    static final List<Codec<?>> CODECS = List.of(
            new Codec<>(NodeEntry.class, "NodeEntry", e -> fields(
                    "name", e.name(), "address", e.address(), "app", e.app(), "jar", e.jar(), "sha256", e.sha256(),
                    "generation", e.generation(), "ready", e.ready(), "desired", e.desired(), "reload", e.reload(),
                    "lastStep", e.lastStep(), "updatedAt", e.updatedAt()),
                    f -> new NodeEntry(f.string("name"), f.string("address"), f.string("app"), f.string("jar"),
                            f.string("sha256"), f.integer("generation"), f.integer("ready"), f.integer("desired"),
                            f.string("reload"), f.string("lastStep"), f.number("updatedAt"))));

    public FleetSerializer(ExtendedActorSystem system) {
        // The system is not needed until a message carries an ActorRef.
    }

    @Override
    public int identifier() {
        return IDENTIFIER;
    }

    @Override
    public String manifest(Object o) {
        return codecFor(o).manifest();
    }

    @Override
    public byte[] toBinary(Object o) {
        return Json.write(codecFor(o).writeAny(o)).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
        Codec<?> codec = CODECS.stream().filter(c -> c.manifest().equals(manifest)).findFirst()
                .orElseThrow(() -> new NotSerializableException("unknown fleet message " + manifest));
        try {
            return codec.read().apply(new Fields(Json.parseObject(new String(bytes, StandardCharsets.UTF_8))));
        } catch (RuntimeException e) {
            throw new NotSerializableException("bad " + manifest + ": " + e.getMessage());
        }
    }

    private static Codec<?> codecFor(Object o) {
        return CODECS.stream().filter(c -> c.type() == o.getClass()).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("not a fleet message: " + o.getClass().getName()));
    }

    static Map<String, Object> fields(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        return m;
    }

    /** A parsed message's fields, read with a default for any that is missing (a field added later). */
    record Fields(Map<String, Object> map) {
        String string(String key) {
            return map.get(key) instanceof String s ? s : "";
        }

        long number(String key) {
            return map.get(key) instanceof Number n ? n.longValue() : 0;
        }

        int integer(String key) {
            return (int) number(key);
        }

        boolean bool(String key) {
            return Boolean.TRUE.equals(map.get(key));
        }

        @SuppressWarnings("unchecked")
        List<Object> list(String key) {
            return map.get(key) instanceof List<?> l ? (List<Object>) l : List.of();
        }

        @SuppressWarnings("unchecked")
        Fields object(String key) {
            return new Fields(map.get(key) instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of());
        }
    }
}
