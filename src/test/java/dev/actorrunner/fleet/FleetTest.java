package dev.actorrunner.fleet;

import dev.actorrunner.fixtures.FleetPorts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;
import akka.cluster.MemberStatus;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Down;
import akka.serialization.SerializationExtension;
import dev.actorrunner.ActorRunner;
import dev.actorrunner.RunnerStatus;
import dev.actorrunner.config.FleetSettings;
import dev.actorrunner.config.RunnerSettings;
import dev.actorrunner.control.FleetControl;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One fleet node in this JVM beside a stand-in runner (an actor of another ActorSystem that
 * answers GetStatus): it joins, publishes its entry, and when the cluster downs it, its fleet
 * system ends and a new one joins again while the runner's system is untouched.
 */
class FleetTest {
    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static ActorTestKit runnerSystem;
    private static ActorRef<ActorRunner.Command> runner;

    @BeforeAll
    static void start() {
        runnerSystem = ActorTestKit.create();
        RunnerStatus status = new RunnerStatus("app.jar", 2, 1, false, false, 0,
                List.of(worker(1), worker(2)), Instant.now(), Optional.empty(), false, Optional.empty(), null,
                List.of(new RunnerStatus.Generation(1, "app.jar",
                        Optional.of(new RunnerStatus.AppJar(Path.of("/srv/app.jar"), "ab".repeat(32), ""))))); 
        runner = runnerSystem.spawn(Behaviors.receive(ActorRunner.Command.class)
                .onMessage(ActorRunner.GetStatus.class, m -> {
                    m.replyTo().tell(status);
                    return Behaviors.same();
                })
                .onAnyMessage(m -> Behaviors.same())
                .build());
    }

    private static RunnerStatus.Worker worker(int id) {
        return new RunnerStatus.Worker(id, 1, 1000 + id, 20000 + id, RunnerStatus.State.READY, Instant.now());
    }

    @AfterAll
    static void stop() {
        runnerSystem.shutdownTestKit();
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError(what + ": not within " + DEADLINE);
            Thread.sleep(50); // polling interval of a condition wait
        }
    }

    private static Map<String, Object> status(Fleet fleet) throws Exception {
        FleetControl.Reply r = fleet.handle(Map.of("action", "status"), line -> {}).toCompletableFuture().get(10, TimeUnit.SECONDS);
        @SuppressWarnings("unchecked")
        Map<String, Object> json = (Map<String, Object>) r.data().getOrDefault("fleet", Map.of());
        return json;
    }

    private static boolean showsItselfUp(Fleet fleet) {
        try {
            Map<String, Object> s = status(fleet);
            return Long.valueOf(1).equals(s.get("members")) && Long.valueOf(2).equals(s.get("readyWorkers"));
        } catch (Exception e) {
            return false;
        }
    }

    @Test
    void aDownedNodeStartsAFreshFleetSystemAndJoinsAgain() throws Exception {
        RunnerSettings.HostPort bind = new RunnerSettings.HostPort("127.0.0.1", FleetPorts.free());
        FleetSettings settings = new FleetSettings(true, "solo", bind, List.of(), false, Optional.empty(),
                Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(1), Duration.ofMinutes(1),
                Duration.ofMinutes(2), 1);
        Fleet fleet = Fleet.start(settings, runner, new FleetHost() {
            @Override
            public boolean runsJar() {
                return true;
            }

            @Override
            public Optional<ActorRunner.Reload> reloadTo(Optional<Path> jar) {
                return Optional.empty();
            }

            @Override
            public void released(Path jar) {}
        }, Fleet.cliBase());
        try {
            await(() -> showsItselfUp(fleet), "the node to join itself and publish its entry");
            ActorSystem<FleetNode.Command> first = fleet.system();
            assertTrue(SerializationExtension.get(first.classicSystem())
                    .findSerializerFor(new NodeEntry("x", "", "", "", "", 0, 0, 0, "", "", 0)) instanceof FleetSerializer,
                    "fleet messages go through FleetSerializer, never Java serialization");
            Cluster cluster = Cluster.get(first);
            assertEquals(MemberStatus.up(), cluster.selfMember().status());

            cluster.manager().tell(new Down(cluster.selfMember().address()));
            first.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
            await(() -> fleet.incarnations() == 2 && showsItselfUp(fleet), "a fresh fleet system to join again");
            assertTrue(fleet.system() != first);
            assertTrue(runnerSystem.system().whenTerminated().value().isEmpty(), "the runner's system never noticed");
        } finally {
            fleet.close();
        }
    }
}
