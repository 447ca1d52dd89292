package dev.actorrunner.fleet;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.actorrunner.config.FleetSettings;
import dev.actorrunner.config.RunnerSettings;
import java.util.List;
import java.util.Map;

/**
 * The Akka settings of the fleet's own ActorSystem, made from {@link FleetSettings}: a cluster
 * over Artery (tls-tcp with mutual authentication when TLS files are given, else plain tcp), static
 * seeds, the open-source Split Brain Resolver keeping the majority, Java serialization off and the
 * fleet's messages through {@link FleetSerializer}. Pure: no system is started here.
 */
public final class FleetConfig {

    /** Every node's fleet system has this name: Akka only joins systems of the same name. */
    public static final String SYSTEM_NAME = "actor-runner-fleet";
    /** The Akka role that carries a node's fleet name, so that a member can be shown by it. */
    static final String NAME_ROLE_PREFIX = "fleet-name:";
    /** Every runner's member in a host's cluster has it: the fleet's data lives on these members only ({@link FleetData}). */
    static final String FLEET_ROLE = "actor-runner-fleet";

    private FleetConfig() {}

    /** The seed node addresses Akka expects: {@code akka://actor-runner-fleet@host:port}. */
    static List<String> seedAddresses(FleetSettings fleet) {
        return fleet.seedsOrSelf().stream().map(FleetConfig::address).toList();
    }

    /**
     * The seeds of a fleet system started again (the node was downed, or its system failed): the
     * configured seeds and the members last seen up, without this node. Akka lets only the first
     * seed form a cluster alone, after seed-node-timeout; a first seed downed while cut off would
     * otherwise, once restarted, form a second fleet of one beside the majority's. It joins through
     * the others, however long that takes. Only a node that knows no other (a fleet of one) joins
     * itself, since there is no other fleet to split from.
     */
    static List<String> rejoinSeeds(FleetSettings fleet, java.util.Collection<String> lastSeen) {
        String self = address(fleet.bind());
        java.util.LinkedHashSet<String> seeds = new java.util.LinkedHashSet<>(seedAddresses(fleet));
        seeds.addAll(lastSeen.stream().sorted().toList());
        seeds.remove(self);
        return seeds.isEmpty() ? List.of(self) : List.copyOf(seeds);
    }

    static String address(RunnerSettings.HostPort at) {
        String host = at.host().contains(":") && !at.host().startsWith("[") ? "[" + at.host() + "]" : at.host();
        return "akka://" + SYSTEM_NAME + "@" + host + ":" + at.port();
    }

    /** The fleet system's config over {@code base} (the runner's Akka logging settings), for its first start. */
    public static Config of(FleetSettings fleet, Config base) {
        return of(fleet, base, seedAddresses(fleet));
    }

    /** As above, with these seed nodes (see {@link #rejoinSeeds}). */
    static Config of(FleetSettings fleet, Config base, List<String> seeds) {
        Config own = ConfigFactory.parseString("""
                akka {
                  actor {
                    provider = cluster
                    allow-java-serialization = off
                    warn-about-java-serializer-usage = on
                    # Two threads: the fleet's actors do little, and the machine runs the workers.
                    default-dispatcher.fork-join-executor { parallelism-min = 2, parallelism-max = 2 }
                    internal-dispatcher.fork-join-executor { parallelism-min = 1, parallelism-max = 2 }
                  }
                  remote.artery {
                    # No advertised address but the bound one: NAT is out of scope.
                    large-message-destinations = []
                    ssl.ssl-engine-provider = "akka.remote.artery.tcp.ssl.RotatingKeysSSLEngineProvider"
                    # The fleet's messages are small and few: 16 pooled 256 KiB frames (4 MiB of
                    # direct memory) rather than Akka's 128 (32 MiB), in every runner JVM.
                    advanced.buffer-pool-size = 16
                  }
                  cluster {
                    downing-provider-class = "akka.cluster.sbr.SplitBrainResolverProvider"
                    split-brain-resolver.active-strategy = keep-majority
                    # A downed node's fleet system ends for good (the runner starts a new one);
                    # its workers live in another system and never notice.
                    run-coordinated-shutdown-when-down = on
                    # A small fleet joins fast; the first seed forms it alone after this.
                    seed-node-timeout = 3s
                    retry-unsuccessful-join-after = 3s
                    shutdown-after-unsuccessful-join-seed-nodes = off
                    log-info-verbose = off
                    # The cluster's timers on the system's scheduler (50ms ticks), not a second
                    # scheduler thread ticking every 33ms in an idle runner.
                    scheduler.tick-duration = 50ms
                    jmx.enabled = off
                  }
                  # The fleet system never ends the JVM: the runner does.
                  coordinated-shutdown.exit-jvm = off
                  coordinated-shutdown.run-by-jvm-shutdown-hook = off
                  jvm-shutdown-hooks = off
                }
                """);
        Map<String, Object> values = new java.util.LinkedHashMap<>();
        values.put("akka.remote.artery.transport", fleet.tls().isPresent() ? "tls-tcp" : "tcp");
        values.put("akka.remote.artery.canonical.hostname", fleet.bind().host());
        values.put("akka.remote.artery.canonical.port", fleet.bind().port());
        values.put("akka.cluster.seed-nodes", seeds);
        values.put("akka.cluster.roles", List.of(NAME_ROLE_PREFIX + fleet.name()));
        values.put("akka.cluster.failure-detector.acceptable-heartbeat-pause", fleet.heartbeatPause().toMillis() + "ms");
        values.put("akka.cluster.split-brain-resolver.stable-after", fleet.stableAfter().toMillis() + "ms");
        fleet.tls().ifPresent(tls -> {
            values.put("akka.remote.artery.ssl.rotating-keys-engine.key-file", tls.key().toString());
            values.put("akka.remote.artery.ssl.rotating-keys-engine.cert-file", tls.cert().toString());
            values.put("akka.remote.artery.ssl.rotating-keys-engine.ca-cert-file", tls.ca().toString());
        });
        Config computed = ConfigFactory.empty();
        for (Map.Entry<String, Object> e : values.entrySet()) {
            computed = computed.withValue(e.getKey(), ConfigValueFactory.fromAnyRef(e.getValue()));
        }
        return computed.withFallback(own).withFallback(SERIALIZATION).withFallback(base).resolve();
    }

    /** The fleet's messages through its own serializer: in the fleet's system, and in a host's that it joins. */
    private static final Config SERIALIZATION = ConfigFactory.parseString("""
            akka.actor {
              serializers { actor-runner-fleet = "dev.actorrunner.fleet.FleetSerializer" }
              serialization-bindings { "dev.actorrunner.fleet.FleetMessage" = actor-runner-fleet }
            }
            """);

    /**
     * What a host's cluster config needs so that {@link Fleet#join} may join the fleet in it: the
     * fleet's serializer, this node's fleet-name role and the fleet's role, added to the roles the host gives
     * (as {@code roles = ${?akka.cluster.roles} [...]}, resolved once it is over the host's config).
     * Use it over the host's own: {@code FleetConfig.embedded(fleet).withFallback(hostConfig).resolve()}.
     */
    public static Config embedded(FleetSettings fleet) {
        return ConfigFactory.parseString("akka.cluster.roles = ${?akka.cluster.roles} [\"" + NAME_ROLE_PREFIX + fleet.name()
                        + "\", \"" + FLEET_ROLE + "\"]")
                .withFallback(SERIALIZATION);
    }

    /** Why {@code system} cannot host this fleet node ("" : it can): each problem says what to add. */
    static String embeddingProblem(akka.actor.typed.ActorSystem<?> system, FleetSettings fleet) {
        List<String> problems = new java.util.ArrayList<>();
        if (!(system.classicSystem() instanceof akka.actor.ExtendedActorSystem e)
                || !(e.provider() instanceof akka.cluster.ClusterActorRefProvider)) {
            return "the host's ActorSystem " + system.name() + " is not a cluster member (akka.actor.provider = cluster)";
        }
        for (String role : List.of(NAME_ROLE_PREFIX + fleet.name(), FLEET_ROLE)) {
            if (!akka.cluster.typed.Cluster.get(system).selfMember().getRoles().contains(role)) {
                problems.add("akka.cluster.roles lacks \"" + role + "\"");
            }
        }
        Object probe = new Coordinator.RollAnswer(0, "", "");
        boolean bound;
        try {
            bound = akka.serialization.SerializationExtension.get(system.classicSystem()).findSerializerFor(probe) instanceof FleetSerializer;
        } catch (Exception noSerializer) { // none bound, and Java serialization off
            bound = false;
        }
        if (!bound) problems.add("dev.actorrunner.fleet.FleetMessage is not bound to dev.actorrunner.fleet.FleetSerializer");
        return problems.isEmpty() ? "" : "the host's ActorSystem " + system.name() + " is not configured for the fleet: "
                + String.join("; ", problems) + " (add FleetConfig.embedded(settings) over its config)";
    }
}
