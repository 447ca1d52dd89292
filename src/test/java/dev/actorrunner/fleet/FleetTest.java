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
        assertEquals(0, fleet.pendingRequests(), "an answered request leaves nothing behind");
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

    private static final FleetHost HOST = new FleetHost() {
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
    };

    private static FleetSettings node(String name, RunnerSettings.HostPort bind, List<RunnerSettings.HostPort> seeds) {
        return new FleetSettings(true, name, bind, seeds, false, Optional.empty(),
                Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(1), Duration.ofMinutes(1),
                Duration.ofMinutes(2), 1);
    }

    private static boolean isUp(Fleet fleet) {
        ActorSystem<FleetNode.Command> s = fleet.system();
        return s != null && Cluster.get(s).selfMember().status() == MemberStatus.up();
    }

    @Test
    void aRestartedFirstSeedNeverFormsAFleetAlone() throws Exception {
        List<Integer> ports = FleetPorts.free(2);
        RunnerSettings.HostPort first = new RunnerSettings.HostPort("127.0.0.1", ports.get(0));
        // The second seed never runs: as if the first one were cut off from the rest of its fleet.
        Fleet fleet = Fleet.start(node("first", first, List.of(first, new RunnerSettings.HostPort("127.0.0.1", ports.get(1)))),
                runner, HOST, Fleet.cliBase());
        try {
            await(() -> isUp(fleet), "the first seed to form the fleet alone at its first start");
            Cluster cluster = Cluster.get(fleet.system());
            cluster.manager().tell(new Down(cluster.selfMember().address()));
            await(() -> fleet.incarnations() == 2, "a fresh fleet system");
            // Akka's seed-node-timeout is 3 s here: a first seed would have formed its own fleet within it.
            long until = System.nanoTime() + Duration.ofSeconds(12).toNanos();
            while (System.nanoTime() < until) {
                assertTrue(!isUp(fleet), "a restarted first seed joined itself: a second fleet beside the majority's");
                Thread.sleep(100); // polling interval of an observation window
            }
        } finally {
            fleet.close();
        }
    }

    @Test
    void aSecondNodeWithTheSameNameLeavesAndSaysWhy() throws Exception {
        List<Integer> ports = FleetPorts.free(2);
        RunnerSettings.HostPort a = new RunnerSettings.HostPort("127.0.0.1", ports.get(0));
        RunnerSettings.HostPort b = new RunnerSettings.HostPort("127.0.0.1", ports.get(1));
        Fleet older = Fleet.start(node("web-1", a, List.of(a, b)), runner, HOST, Fleet.cliBase());
        Fleet younger = null;
        try {
            await(() -> showsItselfUp(older), "the first node up");
            younger = Fleet.start(node("web-1", b, List.of(a, b)), runner, HOST, Fleet.cliBase());
            Fleet second = younger;
            await(() -> {
                try {
                    FleetControl.Reply r = second.handle(Map.of("action", "status"), line -> {}).toCompletableFuture().get(10, TimeUnit.SECONDS);
                    return r.exitCode() == 2 && r.message().contains("already has the name web-1");
                } catch (Exception e) {
                    return false;
                }
            }, "the younger namesake to refuse");
            await(() -> second.system() == null, "its fleet system to end, not to rejoin");
            await(() -> showsItselfUp(older), "the older one to see itself alone again, its entry its own");
        } finally {
            if (younger != null) younger.close();
            older.close();
        }
    }

    @Test
    void aDownedNodeStartsAFreshFleetSystemAndJoinsAgain() throws Exception {
        RunnerSettings.HostPort bind = new RunnerSettings.HostPort("127.0.0.1", FleetPorts.free());
        FleetSettings settings = node("solo", bind, List.of());
        Fleet fleet = Fleet.start(settings, runner, HOST, Fleet.cliBase());
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

    /**
     * The minority side of a partition is downed while a request waits for the coordinator: the
     * ask's timeout dies with the fleet system's scheduler, and the client waited for good (seen in
     * FleetPartitionIT, a reload asked before the cut was detected). It gets an answer now.
     */
    @Test
    void aRequestInFlightWhenTheFleetSystemEndsIsAnsweredAtOnce() throws Exception {
        List<Integer> ports = FleetPorts.free(2);
        // Its only seed is a port nobody listens on: it never joins, so no coordinator ever answers.
        FleetSettings settings = node("lonely", new RunnerSettings.HostPort("127.0.0.1", ports.get(0)),
                List.of(new RunnerSettings.HostPort("127.0.0.1", ports.get(1))));
        Fleet fleet = Fleet.start(settings, runner, HOST, Fleet.cliBase());
        try {
            await(() -> fleet.system() != null, "the fleet system to start");
            ActorSystem<FleetNode.Command> first = fleet.system();
            java.util.concurrent.CompletableFuture<FleetControl.Reply> promote =
                    fleet.handle(Map.of("action", "promote"), line -> {}).toCompletableFuture();
            first.terminate();
            FleetControl.Reply r = promote.get(20, TimeUnit.SECONDS);
            assertEquals(1, r.exitCode(), r.message());
            assertTrue(r.message().contains("this node left its fleet (downed?) before the answer came"), r.message());
            assertEquals(0, fleet.pendingRequests(), "nothing kept of the request once answered");
        } finally {
            fleet.close();
        }
    }
}
