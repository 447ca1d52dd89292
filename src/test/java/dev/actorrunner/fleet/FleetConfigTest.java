package dev.actorrunner.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.actorrunner.config.FleetSettings;
import dev.actorrunner.config.RunnerSettings.HostPort;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class FleetConfigTest {

    private static FleetSettings fleet(Optional<FleetSettings.Tls> tls) {
        return new FleetSettings(true, "web-1", new HostPort("10.0.0.1", 2551),
                List.of(new HostPort("10.0.0.1", 2551), new HostPort("::1", 2552)), false, tls,
                Duration.ofSeconds(7), Duration.ofSeconds(12), Duration.ofSeconds(10), Duration.ofMinutes(5),
                Duration.ofMinutes(10), 1);
    }

    @Test
    void aRestartedFirstSeedRejoinsThroughTheOthersNeverAlone() {
        FleetSettings first = fleet(Optional.empty());
        assertEquals(List.of("akka://actor-runner-fleet@[::1]:2552", "akka://actor-runner-fleet@10.0.0.9:2551"),
                FleetConfig.rejoinSeeds(first, List.of("akka://actor-runner-fleet@10.0.0.9:2551")),
                "the configured seeds and the members last seen, without itself");
        assertEquals(List.of("akka://actor-runner-fleet@[::1]:2552"),
                FleetConfig.of(first, ConfigFactory.load(), FleetConfig.rejoinSeeds(first, List.of())).getStringList("akka.cluster.seed-nodes"));
    }

    @Test
    void aSeedListOfItselfAloneRejoinsThroughTheMembersLastSeenOrAloneInAFleetOfOne() {
        FleetSettings alone = new FleetSettings(true, "solo", new HostPort("127.0.0.1", 2551), List.of(), false, Optional.empty(),
                Duration.ofSeconds(7), Duration.ofSeconds(12), Duration.ofSeconds(10), Duration.ofMinutes(5), Duration.ofMinutes(10), 1);
        assertEquals(List.of("akka://actor-runner-fleet@127.0.0.1:2552"),
                FleetConfig.rejoinSeeds(alone, List.of("akka://actor-runner-fleet@127.0.0.1:2552")));
        assertEquals(List.of("akka://actor-runner-fleet@127.0.0.1:2551"), FleetConfig.rejoinSeeds(alone, List.of()),
                "a fleet of one has no other fleet to split from");
    }

    @Test
    void tlsFilesMeanTlsTcpThroughTheRotatingKeysProvider() {
        Config c = FleetConfig.of(fleet(Optional.of(new FleetSettings.Tls(Path.of("/k"), Path.of("/c"), Path.of("/ca")))),
                ConfigFactory.load());
        assertEquals("tls-tcp", c.getString("akka.remote.artery.transport"));
        assertEquals("akka.remote.artery.tcp.ssl.RotatingKeysSSLEngineProvider",
                c.getString("akka.remote.artery.ssl.ssl-engine-provider"));
        assertEquals("/k", c.getString("akka.remote.artery.ssl.rotating-keys-engine.key-file"));
        assertEquals("/c", c.getString("akka.remote.artery.ssl.rotating-keys-engine.cert-file"));
        assertEquals("/ca", c.getString("akka.remote.artery.ssl.rotating-keys-engine.ca-cert-file"));
    }

    @Test
    void theClusterIsStaticSeedsKeepMajorityAndNoJavaSerialization() {
        Config c = FleetConfig.of(fleet(Optional.empty()), ConfigFactory.load());
        assertEquals("tcp", c.getString("akka.remote.artery.transport"));
        assertEquals("cluster", c.getString("akka.actor.provider"));
        assertEquals(List.of("akka://actor-runner-fleet@10.0.0.1:2551", "akka://actor-runner-fleet@[::1]:2552"),
                c.getStringList("akka.cluster.seed-nodes"));
        assertEquals("akka.cluster.sbr.SplitBrainResolverProvider", c.getString("akka.cluster.downing-provider-class"));
        assertEquals("keep-majority", c.getString("akka.cluster.split-brain-resolver.active-strategy"));
        assertEquals(Duration.ofSeconds(12), c.getDuration("akka.cluster.split-brain-resolver.stable-after"));
        assertEquals(Duration.ofSeconds(7), c.getDuration("akka.cluster.failure-detector.acceptable-heartbeat-pause"));
        assertFalse(c.getBoolean("akka.actor.allow-java-serialization"));
        assertEquals("actor-runner-fleet", c.getString("akka.actor.serialization-bindings.\"dev.actorrunner.fleet.FleetMessage\""));
        assertEquals(List.of("fleet-name:web-1"), c.getStringList("akka.cluster.roles"));
        assertFalse(c.getBoolean("akka.coordinated-shutdown.exit-jvm"));
    }
}
