package dev.actorrunner.fleet;

import akka.actor.ExtendedActorSystem;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorRefResolver;
import akka.actor.typed.javadsl.Adapter;
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

    /** How one message type is written and read; {@code refs} turns ActorRefs into text and back. */
    record Codec<T>(Class<T> type, String manifest, java.util.function.BiFunction<T, Refs, Map<String, Object>> write,
                    java.util.function.BiFunction<Fields, Refs, T> read) {
        Map<String, Object> writeAny(Object o, Refs refs) {
            return write.apply(type.cast(o), refs);
        }
    }

    /** ActorRefs as their serialization format (akka://system@host:port/path#uid), through the system's resolver. */
    interface Refs {
        String text(ActorRef<?> ref);

        <T> ActorRef<T> ref(String text);
    }

    /** Every {@link FleetMessage}; a type missing here fails its first send, and FleetSerializerTest. */
    static final List<Codec<?>> CODECS = List.of(
            new Codec<>(NodeEntry.class, "NodeEntry", (e, r) -> fields(
                    "name", e.name(), "address", e.address(), "app", e.app(), "jar", e.jar(), "sha256", e.sha256(),
                    "generation", e.generation(), "ready", e.ready(), "desired", e.desired(), "reload", e.reload(),
                    "lastStep", e.lastStep(), "updatedAt", e.updatedAt()),
                    (f, r) -> new NodeEntry(f.string("name"), f.string("address"), f.string("app"), f.string("jar"),
                            f.string("sha256"), f.integer("generation"), f.integer("ready"), f.integer("desired"),
                            f.string("reload"), f.string("lastStep"), f.number("updatedAt"))),
            new Codec<>(Plan.class, "Plan", (p, r) -> fields("id", p.id(), "releaseId", p.releaseId(), "jar", p.jar(), "sha256", p.sha256(),
                    "maxParallel", p.maxParallel(), "canary", p.canary(), "state", p.state(), "reason", p.reason(),
                    "steps", p.steps().stream().map(st -> fields("node", st.node(), "state", st.state(),
                            "detail", st.detail(), "startedAt", st.startedAt())).toList(),
                    "startedAt", p.startedAt(), "updatedAt", p.updatedAt()),
                    (f, r) -> new Plan(f.string("id"), f.string("releaseId"), f.string("jar"), f.string("sha256"), f.integer("maxParallel"),
                            f.integer("canary"), f.string("state"), f.string("reason"),
                            f.objects("steps").stream().map(st -> new Plan.Step(st.string("node"), st.string("state"),
                                    st.string("detail"), st.number("startedAt"))).toList(),
                            f.number("startedAt"), f.number("updatedAt"))),
            new Codec<>(FleetNode.CheckJar.class, "CheckJar", (m, r) -> fields("planId", m.planId(), "jar", m.jar(),
                    "sha256", m.sha256(), "replyTo", r.text(m.replyTo())),
                    (f, r) -> new FleetNode.CheckJar(f.string("planId"), f.string("jar"), f.string("sha256"), r.ref(f.string("replyTo")))),
            new Codec<>(FleetNode.RunStep.class, "RunStep", (m, r) -> fields("planId", m.planId(), "jar", m.jar(),
                    "sha256", m.sha256(), "minHealthyMillis", m.minHealthyMillis(), "replyTo", r.text(m.replyTo())),
                    (f, r) -> new FleetNode.RunStep(f.string("planId"), f.string("jar"), f.string("sha256"),
                            f.number("minHealthyMillis"), r.ref(f.string("replyTo")))),
            new Codec<>(Coordinator.StartRoll.class, "StartRoll", (m, r) -> fields("jar", m.jar(), "sha256", m.sha256(),
                    "maxParallel", m.maxParallel(), "canary", m.canary(), "replyTo", r.text(m.replyTo())),
                    (f, r) -> new Coordinator.StartRoll(f.string("jar"), f.string("sha256"), f.integer("maxParallel"),
                            f.integer("canary"), r.ref(f.string("replyTo")))),
            new Codec<>(Coordinator.Promote.class, "Promote", (m, r) -> fields("replyTo", r.text(m.replyTo())),
                    (f, r) -> new Coordinator.Promote(r.ref(f.string("replyTo")))),
            new Codec<>(Coordinator.Abort.class, "Abort", (m, r) -> fields("replyTo", r.text(m.replyTo())),
                    (f, r) -> new Coordinator.Abort(r.ref(f.string("replyTo")))),
            new Codec<>(Coordinator.RollAnswer.class, "RollAnswer", (m, r) -> fields("code", m.code(),
                    "planId", m.planId(), "message", m.message()),
                    (f, r) -> new Coordinator.RollAnswer(f.integer("code"), f.string("planId"), f.string("message"))),
            new Codec<>(Coordinator.JarChecked.class, "JarChecked", (m, r) -> fields("planId", m.planId(),
                    "node", m.node(), "problem", m.problem(), "sha256", m.sha256()),
                    (f, r) -> new Coordinator.JarChecked(f.string("planId"), f.string("node"), f.string("problem"),
                            f.string("sha256"))),
            new Codec<>(Coordinator.StepReport.class, "StepReport", (m, r) -> fields("planId", m.planId(),
                    "node", m.node(), "state", m.state(), "detail", m.detail()),
                    (f, r) -> new Coordinator.StepReport(f.string("planId"), f.string("node"), f.string("state"),
                            f.string("detail"))));

    private final ExtendedActorSystem system;
    /** Made on first use: the serializer is created while the system starts, before the resolver may be. */
    private volatile ActorRefResolver resolver;

    public FleetSerializer(ExtendedActorSystem system) {
        this.system = system;
    }

    private final Refs refs = new Refs() {
        @Override
        public String text(ActorRef<?> ref) {
            return resolver().toSerializationFormat(ref);
        }

        @Override
        public <T> ActorRef<T> ref(String text) {
            return resolver().resolveActorRef(text);
        }
    };

    private ActorRefResolver resolver() {
        ActorRefResolver r = resolver;
        if (r == null) {
            r = ActorRefResolver.get(Adapter.toTyped(system));
            resolver = r;
        }
        return r;
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
        return Json.write(codecFor(o).writeAny(o, refs)).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
        Codec<?> codec = CODECS.stream().filter(c -> c.manifest().equals(manifest)).findFirst()
                .orElseThrow(() -> new NotSerializableException("unknown fleet message " + manifest));
        try {
            return codec.read().apply(new Fields(Json.parseObject(new String(bytes, StandardCharsets.UTF_8))), refs);
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
        List<Fields> objects(String key) {
            return list(key).stream().filter(o -> o instanceof Map).map(o -> new Fields((Map<String, Object>) o)).toList();
        }

        @SuppressWarnings("unchecked")
        Fields object(String key) {
            return new Fields(map.get(key) instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of());
        }
    }
}
