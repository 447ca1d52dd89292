package dev.actorrunner.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import akka.cluster.MemberStatus;
import akka.cluster.typed.Cluster;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.actorrunner.ActorRunner;
import dev.actorrunner.RunnerEvent;
import dev.actorrunner.config.FleetSettings;
import dev.actorrunner.config.RunnerSettings;
import dev.actorrunner.control.FleetControl;
import dev.actorrunner.fixtures.FleetPorts;
import dev.actorrunner.fixtures.Reaper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Runners embedded in host applications whose own ActorSystems already form a cluster (named as
 * the host likes, with a guardian of the host's): each joins the fleet through {@link Fleet#join},
 * and {@code fleet status} from any of them shows them all, and only them: as many members of the
 * host's cluster run no runner, and count neither in status nor in the plan's majority.
 */
class FleetEmbedTest {
    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final int NODES = 3;

    @RegisterExtension
    final Reaper reaper = new Reaper();
    private final List<ActorSystem<Void>> hosts = new ArrayList<>();
    private final List<Fleet> fleets = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        fleets.forEach(Fleet::close);
        hosts.forEach(ActorSystem::terminate);
        for (ActorSystem<Void> h : hosts) h.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private static final FleetHost HOST = new FleetHost() {
        @Override
        public boolean runsJar() {
            return false;
        }

        @Override
        public Optional<ActorRunner.Reload> reloadTo(Optional<Path> jar) {
            return jar.isEmpty() ? Optional.of(ActorRunner.Reload.INSTANCE) : Optional.empty();
        }

        @Override
        public void released(Path jar) {}
    };

    /** Bind and seeds are the host's: only the name and the roll's timings count here. */
    private static FleetSettings fleet(String name) {
        RunnerSettings.HostPort unused = new RunnerSettings.HostPort("127.0.0.1", 0);
        return new FleetSettings(true, name, unused, List.of(), false, Optional.empty(),
                Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(1), Duration.ofMinutes(1),
                Duration.ofMinutes(2), 1);
    }

    /** A host application's cluster config, as its own: its system name, seeds, downing and a role of its own. */
    private static Config hostCluster(int port, int seedPort) {
        return ConfigFactory.parseString("""
                akka {
                  loglevel = INFO
                  stdout-loglevel = OFF
                  loggers = ["akka.event.slf4j.Slf4jLogger"]
                  logging-filter = "akka.event.slf4j.Slf4jLoggingFilter"
                  actor.provider = cluster
                  actor.allow-java-serialization = off
                  remote.artery.transport = tcp
                  remote.artery.canonical.hostname = 127.0.0.1
                  remote.artery.canonical.port = %d
                  cluster.seed-nodes = ["akka://shop@127.0.0.1:%d"]
                  cluster.roles = ["web"]
                  cluster.downing-provider-class = "akka.cluster.sbr.SplitBrainResolverProvider"
                  cluster.jmx.enabled = off
                  coordinated-shutdown.exit-jvm = off
                  coordinated-shutdown.run-by-jvm-shutdown-hook = off
                  jvm-shutdown-hooks = off
                }
                """.formatted(port, seedPort));
    }

    /** The host's guardian is its own: here it runs the host's runner, a real one over {@code sleep}. */
    private Behavior<Void> guardian(int i, CompletableFuture<ActorRef<ActorRunner.Command>> runner) {
        return Behaviors.setup(context -> {
            ActorRef<RunnerEvent> pids = context.spawn(Behaviors.receive(RunnerEvent.class)
                    .onMessage(RunnerEvent.WorkerStarted.class, e -> {
                        reaper.register(e.pid());
                        return Behaviors.same();
                    })
                    .onAnyMessage(e -> Behaviors.same())
                    .build(), "pids");
            RunnerSettings settings = RunnerSettings.builder(List.of("sleep", "600"))
                    .appName("shop").workers(1).port(0)
                    .workerPorts(new RunnerSettings.PortRange(23600 + 10 * i, 23609 + 10 * i))
                    .ready(new RunnerSettings.Readiness.None())
                    .drainTimeout(Duration.ofSeconds(1)).killTimeout(Duration.ofSeconds(5))
                    .slowStart(Duration.ZERO).build();
            runner.complete(context.spawn(ActorRunner.create(settings, List.of(pids)), "runner"));
            return Behaviors.empty();
        });
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError(what + ": not within " + DEADLINE);
            Thread.sleep(50); // polling interval of a condition wait
        }
    }

    private static Map<String, Object> status(Fleet fleet) {
        try {
            FleetControl.Reply r = fleet.handle(Map.of("action", "status"), line -> {}).toCompletableFuture().get(10, TimeUnit.SECONDS);
            @SuppressWarnings("unchecked")
            Map<String, Object> json = (Map<String, Object>) r.data().getOrDefault("fleet", Map.of());
            return json;
        } catch (Exception e) {
            return Map.of();
        }
    }

    /** All nodes members, each with its entry published and its one worker ready. */
    private static boolean showsAll(Fleet fleet) {
        Map<String, Object> s = status(fleet);
        return Long.valueOf(NODES).equals(s.get("members")) && Long.valueOf(NODES).equals(s.get("readyWorkers"));
    }

    @Test
    void runnersInAHostsClusterJoinOneFleetAndEachShowsAll() throws Exception {
        List<Integer> ports = FleetPorts.free(2 * NODES);
        // As many members of the host's cluster that embed no runner, the oldest of all among them:
        // no part of the fleet, nor of its status, nor of the plan's majority (a majority of all six
        // members is four: three runners are not), and the coordinator runs on the oldest runner.
        for (int i = 0; i < NODES; i++) {
            ActorSystem<Void> plain = ActorSystem.create(Behaviors.empty(), "shop", hostCluster(ports.get(NODES + i), ports.get(NODES))
                    .withFallback(ConfigFactory.load()).resolve());
            hosts.add(plain);
            if (i == 0) await(() -> Cluster.get(plain).selfMember().status() == MemberStatus.up(), "the oldest member up");
        }
        for (int i = 0; i < NODES; i++) {
            FleetSettings settings = fleet("shop-" + (i + 1));
            CompletableFuture<ActorRef<ActorRunner.Command>> runner = new CompletableFuture<>();
            // The host's config, under the keys the fleet needs: its serializer, the node's fleet name and the fleet's role.
            Config config = FleetConfig.embedded(settings).withFallback(hostCluster(ports.get(i), ports.get(NODES)))
                    .withFallback(ConfigFactory.load()).resolve();
            ActorSystem<Void> host = ActorSystem.create(guardian(i, runner), "shop", config);
            hosts.add(host);
            assertTrue(Cluster.get(host).selfMember().getRoles().contains("web"), "the host's own roles are kept");
            fleets.add(Fleet.join(host, settings, runner.get(10, TimeUnit.SECONDS), HOST));
        }
        for (ActorSystem<Void> host : hosts) {
            await(() -> Cluster.get(host).selfMember().status() == MemberStatus.up(), "the host's node up");
        }
        for (Fleet f : fleets) await(() -> showsAll(f), "fleet status to show every node");

        Map<String, Object> seen = status(fleets.get(NODES - 1));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> nodes = (List<Map<String, Object>>) seen.get("nodes");
        assertEquals(List.of("shop-1", "shop-2", "shop-3"), nodes.stream().map(n -> n.get("name")).toList(),
                "the runners' nodes only, not the host's member without a runner");
        assertEquals(null, fleets.get(0).system(), "no fleet system of its own");

        // A fleet reload (same settings) from the youngest node: the coordinator, wherever it runs,
        // finds every agent through the Receptionist and reloads machine by machine.
        List<String> progress = new java.util.concurrent.CopyOnWriteArrayList<>();
        FleetControl.Reply reload = fleets.get(NODES - 1).handle(Map.of("action", "reload", "wait", true), progress::add)
                .toCompletableFuture().get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
        assertEquals(0, reload.exitCode(), reload.message() + "; progress: " + progress);
        for (String name : List.of("shop-1", "shop-2", "shop-3")) {
            assertTrue(progress.stream().anyMatch(l -> l.contains(name)), name + " stepped; progress: " + progress);
        }

        // The coordinator answers through the host's cluster: nothing to promote or abort.
        FleetControl.Reply promote = fleets.get(1).handle(Map.of("action", "promote"), line -> {})
                .toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertEquals(2, promote.exitCode());
        assertTrue(promote.message().contains("no fleet roll is in progress"), promote.message());
    }

    @Test
    void aHostWithoutTheFleetsConfigIsToldWhatToAdd() throws Exception {
        int port = FleetPorts.free();
        ActorSystem<Void> host = ActorSystem.create(Behaviors.empty(), "shop",
                hostCluster(port, port).withFallback(ConfigFactory.load()).resolve());
        hosts.add(host);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Fleet.join(host, FleetSettings.joining("shop-1"), host.deadLetters(), HOST));
        assertTrue(e.getMessage().contains("fleet-name:shop-1") && e.getMessage().contains("FleetSerializer"), e.getMessage());
    }

    @Test
    void aSecondRunnerOfTheSameNameInAHostsClusterStaysOutAndTheHostsMemberStays() throws Exception {
        List<Integer> ports = FleetPorts.free(2);
        for (int i = 0; i < 2; i++) {
            FleetSettings settings = fleet("shop-1");
            CompletableFuture<ActorRef<ActorRunner.Command>> runner = new CompletableFuture<>();
            ActorSystem<Void> host = ActorSystem.create(guardian(i, runner), "shop", FleetConfig.embedded(settings)
                    .withFallback(hostCluster(ports.get(i), ports.get(0))).withFallback(ConfigFactory.load()).resolve());
            hosts.add(host);
            await(() -> Cluster.get(host).selfMember().status() == MemberStatus.up(), "the host's node up");
            fleets.add(Fleet.join(host, settings, runner.get(10, TimeUnit.SECONDS), HOST));
            if (i == 0) await(() -> Long.valueOf(1).equals(status(fleets.get(0)).get("readyWorkers")), "the first shop-1 in its fleet");
        }
        await(() -> {
            try {
                FleetControl.Reply r = fleets.get(1).handle(Map.of("action", "status"), line -> {}).toCompletableFuture()
                        .get(10, TimeUnit.SECONDS);
                return r.exitCode() == 2 && r.message().contains("not in its fleet") && r.message().contains("shop-1");
            } catch (Exception e) {
                return false;
            }
        }, "the younger shop-1 to say it is not in its fleet");
        Map<String, Object> s = status(fleets.get(0));
        assertEquals(1L, s.get("members"), "the fleet has one shop-1: " + s);
        assertEquals(1L, s.get("readyWorkers"), "the older one's: " + s);
        assertEquals(MemberStatus.up(), Cluster.get(hosts.get(1)).selfMember().status(), "the host's member stays in its cluster");
    }
}
