package dev.actorrunner.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.NotSerializableException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FleetSerializerTest {

    private final FleetSerializer serializer = new FleetSerializer(null);

    /** One example of every fleet message; a type added without a codec or an example fails below. */
    static List<FleetMessage> examples() {
        return FleetMessages.examples();
    }

    @Test
    void everyMessageRoundTrips() throws NotSerializableException {
        for (FleetMessage m : examples()) {
            String manifest = serializer.manifest(m);
            assertEquals(m, serializer.fromBinary(serializer.toBinary(m), manifest), manifest);
        }
    }

    @Test
    void everyCodecHasAnExampleAndItsOwnManifest() {
        Set<Class<?>> covered = new HashSet<>();
        examples().forEach(m -> covered.add(m.getClass()));
        Set<String> manifests = new HashSet<>();
        for (FleetSerializer.Codec<?> c : FleetSerializer.CODECS) {
            assertTrue(covered.contains(c.type()), c.type() + " has no example");
            assertTrue(manifests.add(c.manifest()), "manifest " + c.manifest() + " twice");
        }
    }

    @Test
    void everyFleetMessageTypeHasACodec() {
        Set<Class<?>> coded = new HashSet<>();
        FleetSerializer.CODECS.forEach(c -> coded.add(c.type()));
        for (Class<?> type : FleetMessages.types()) assertTrue(coded.contains(type), type + " has no codec");
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
}
