package dev.actorrunner.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.ExtendedActorSystem;
import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.typed.ActorRef;
import akka.actor.typed.javadsl.Adapter;
import java.io.NotSerializableException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class FleetSerializerTest {

    private static ActorTestKit testKit;
    private static FleetSerializer serializer;
    private static ActorRef<Object> ref;

    @BeforeAll
    static void start() {
        testKit = ActorTestKit.create();
        serializer = new FleetSerializer((ExtendedActorSystem) Adapter.toClassic(testKit.system()));
        ref = testKit.createTestProbe().ref();
    }

    @AfterAll
    static void stop() {
        testKit.shutdownTestKit();
    }

    @Test
    void everyMessageRoundTripsWithItsOwnManifest() throws NotSerializableException {
        Set<String> manifests = new HashSet<>();
        for (FleetMessage m : FleetMessages.examples(ref)) {
            String manifest = serializer.manifest(m);
            assertTrue(manifests.add(manifest), "manifest " + manifest + " twice");
            byte[] bytes = serializer.toBinary(m);
            assertEquals(m, serializer.fromBinary(bytes, manifest), manifest);
            assertFalse(new String(bytes, StandardCharsets.UTF_8).contains("\n"), "one line of JSON: " + manifest);
        }
    }

    @Test
    void everyFleetMessageHasACodecAndAnExample() throws Exception {
        Set<Class<?>> coded = new HashSet<>();
        FleetSerializer.CODECS.forEach(c -> coded.add(c.type()));
        Set<Class<?>> examples = new HashSet<>();
        FleetMessages.examples(ref).forEach(m -> examples.add(m.getClass()));
        List<Class<?>> types = FleetMessages.types();
        assertTrue(types.size() >= 10, "found " + types);
        for (Class<?> type : types) {
            assertTrue(coded.contains(type), type + " has no codec");
            assertTrue(examples.contains(type), type + " has no example here");
        }
    }

    @Test
    void missingFieldsReadAsDefaultsSoANewerNodeCanAddOne() throws NotSerializableException {
        Object entry = serializer.fromBinary("{\"name\":\"n1\"}".getBytes(StandardCharsets.UTF_8), "NodeEntry");
        assertEquals(new NodeEntry("n1", "", "", "", "", 0, 0, 0, "", "", 0), entry);
    }

    @Test
    void anUnknownManifestOrBadBytesAreNotSerializable() {
        assertThrows(NotSerializableException.class, () -> serializer.fromBinary(new byte[0], "Nope"));
        assertThrows(NotSerializableException.class, () -> serializer.fromBinary("[1".getBytes(StandardCharsets.UTF_8), "NodeEntry"));
    }

    @Test
    void aLocalOnlyMessageIsNotOneToSend() {
        assertThrows(IllegalArgumentException.class, () -> serializer.manifest("not a fleet message"));
    }
}
