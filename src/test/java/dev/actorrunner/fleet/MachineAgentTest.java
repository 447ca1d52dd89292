package dev.actorrunner.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.ManualTime;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.javadsl.Behaviors;
import dev.actorrunner.ActorRunner;
import dev.actorrunner.RunnerEvent;
import dev.actorrunner.RunnerStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A machine's part of a roll when its agent is new (its fleet system was restarted mid-step): the
 * step it has not seen begins from the runner's state, against a stand-in runner that answers
 * GetStatus, records Reloads and publishes the events the test gives it.
 */
class MachineAgentTest {
    private static final String SHA8 = "88".repeat(32);
    private static final Path REAL = Path.of("/srv/releases/8/app.jar");
    private static final String LINK = "/srv/releases/current/app.jar";

    private ActorTestKit kit;
    private ManualTime time;
    private final AtomicReference<RunnerStatus> status = new AtomicReference<>();
    private final List<ActorRunner.Reload> reloads = new CopyOnWriteArrayList<>();
    private final List<ActorRef<RunnerEvent>> subscribers = new CopyOnWriteArrayList<>();
    private final List<Path> released = new CopyOnWriteArrayList<>();
    private ActorRef<ActorRunner.Command> runner;
    /** When set, GetStatus after the first is held until the test answers it (a runner slow to answer). */
    private final java.util.concurrent.atomic.AtomicBoolean hold = new java.util.concurrent.atomic.AtomicBoolean();
    private final java.util.concurrent.atomic.AtomicInteger asked = new java.util.concurrent.atomic.AtomicInteger();
    private final List<ActorRef<RunnerStatus>> held = new CopyOnWriteArrayList<>();

    private final FleetHost host = new FleetHost() {
        @Override
        public boolean runsJar() {
            return true;
        }

        @Override
        public Optional<ActorRunner.Reload> reloadTo(Optional<Path> jar) {
            return Optional.of(new ActorRunner.Reload(null));
        }

        @Override
        public void released(Path jar) {
            released.add(jar);
        }
    };

    @BeforeEach
    void start() {
        kit = ActorTestKit.create(ManualTime.config().withFallback(com.typesafe.config.ConfigFactory.load()));
        time = ManualTime.get(kit.system());
        runner = kit.spawn(Behaviors.receive(ActorRunner.Command.class)
                .onMessage(ActorRunner.GetStatus.class, m -> {
                    if (asked.getAndIncrement() > 0 && hold.get()) {
                        held.add(m.replyTo());
                    } else {
                        m.replyTo().tell(status.get());
                    }
                    return Behaviors.same();
                })
                .onMessage(ActorRunner.Subscribe.class, m -> {
                    subscribers.add(m.subscriber());
                    return Behaviors.same();
                })
                .onMessage(ActorRunner.Reload.class, m -> {
                    reloads.add(m);
                    return Behaviors.same();
                })
                .onAnyMessage(m -> Behaviors.same())
                .build());
    }

    @AfterEach
    void stop() {
        kit.shutdownTestKit();
    }

    /** Two workers wanted, {@code readyGen} the generation of both ready ones; generation 2 runs release 8. */
    private static RunnerStatus status(Optional<Integer> reloadingTo, int readyGen) {
        return new RunnerStatus("app.jar", 2, 2, reloadingTo.isPresent(), false, 0,
                List.of(worker(1, readyGen), worker(2, readyGen)), Instant.now(),
                reloadingTo.map(g -> new RunnerStatus.ReloadProgress(g, Instant.now(), 2, 0)), false, Optional.empty(), null,
                List.of(new RunnerStatus.Generation(1, "app.jar", Optional.of(new RunnerStatus.AppJar(Path.of("/srv/releases/7/app.jar"), "77".repeat(32), ""))),
                        new RunnerStatus.Generation(2, "app.jar", Optional.of(new RunnerStatus.AppJar(REAL, SHA8, "")))));
    }

    private static RunnerStatus.Worker worker(int id, int generation) {
        return new RunnerStatus.Worker(id, generation, 100 + id, 20000 + id, RunnerStatus.State.READY, Instant.now());
    }

    /** Kept by the fleet's owner across fleet systems: every agent of a test shares it, as incarnations do. */
    private final AskedReloads askedReloads = new AskedReloads();

    private ActorRef<MachineAgent.Command> agent() {
        return kit.spawn(MachineAgent.create("web-1", runner, host, askedReloads, kit.<String>createTestProbe().ref()));
    }

    @Test
    void aResentStepWhoseReloadIsUnderWayFollowsItAndAsksForNoSecond() {
        status.set(status(Optional.of(2), 1));
        TestProbe<Coordinator.StepReport> coordinator = kit.createTestProbe();
        ActorRef<MachineAgent.Command> agent = agent();
        agent.tell(new MachineAgent.Run(new FleetNode.RunStep("p1", LINK, SHA8, 10_000, coordinator.ref())));
        assertEquals(Plan.Step.RUNNING, coordinator.expectMessageClass(Coordinator.StepReport.class).state());
        coordinator.awaitAssert(() -> {
            assertTrue(!subscribers.isEmpty(), "the step follows the runner's events");
            return null;
        });
        // A resend while it runs: its state, nothing started again.
        agent.tell(new MachineAgent.Run(new FleetNode.RunStep("p1", LINK, SHA8, 10_000, coordinator.ref())));
        assertEquals(Plan.Step.RUNNING, coordinator.expectMessageClass(Coordinator.StepReport.class).state());
        subscribers.forEach(s -> s.tell(new RunnerEvent.ReloadCompleted(2, Duration.ofSeconds(3), Duration.ofSeconds(2), 2)));
        status.set(status(Optional.empty(), 2));
        time.timePasses(Duration.ofSeconds(10));
        Coordinator.StepReport end = coordinator.expectMessageClass(Coordinator.StepReport.class);
        assertEquals(Plan.Step.DONE, end.state(), end.detail());
        assertEquals(List.of(), reloads, "no second local reload to the same release");
        assertEquals(List.of(Path.of(LINK)), released);
    }

    @Test
    void aStepWhoseReleaseAlreadyRunsIsDoneAtOnceAndTheReleaseKept() {
        status.set(status(Optional.empty(), 2));
        TestProbe<Coordinator.StepReport> coordinator = kit.createTestProbe();
        agent().tell(new MachineAgent.Run(new FleetNode.RunStep("p1", LINK, SHA8, 10_000, coordinator.ref())));
        assertEquals(Plan.Step.RUNNING, coordinator.expectMessageClass(Coordinator.StepReport.class).state());
        Coordinator.StepReport end = coordinator.expectMessageClass(Coordinator.StepReport.class);
        assertEquals(Plan.Step.DONE, end.state());
        assertTrue(end.detail().startsWith("already runs"), end.detail());
        assertEquals(List.of(), reloads);
        assertEquals(List.of(Path.of(LINK)), released, "a later SIGHUP keeps the release, not the command line's jar");
    }

    @Test
    void aStepOnTheOldReleaseAsksTheRunnerToReload() {
        status.set(status(Optional.empty(), 1));
        TestProbe<Coordinator.StepReport> coordinator = kit.createTestProbe();
        agent().tell(new MachineAgent.Run(new FleetNode.RunStep("p1", LINK, SHA8, 10_000, coordinator.ref())));
        assertEquals(Plan.Step.RUNNING, coordinator.expectMessageClass(Coordinator.StepReport.class).state());
        coordinator.awaitAssert(() -> {
            assertEquals(1, reloads.size());
            return null;
        });
    }

    @Test
    void aFollowedReloadThatEndsBeforeTheStatusComesStillProvesMinHealthyTime() {
        status.set(status(Optional.of(2), 1));
        hold.set(true);
        TestProbe<Coordinator.StepReport> coordinator = kit.createTestProbe();
        agent().tell(new MachineAgent.Run(new FleetNode.RunStep("p1", LINK, SHA8, 30_000, coordinator.ref())));
        assertEquals(Plan.Step.RUNNING, coordinator.expectMessageClass(Coordinator.StepReport.class).state());
        coordinator.awaitAssert(() -> {
            assertTrue(!subscribers.isEmpty() && !held.isEmpty(), "following, its status asked for");
            return null;
        });
        subscribers.forEach(s -> s.tell(new RunnerEvent.ReloadCompleted(2, Duration.ofSeconds(3), Duration.ofSeconds(2), 2)));
        status.set(status(Optional.empty(), 2));
        hold.set(false);
        held.forEach(r -> r.tell(status.get())); // the status, late: min-healthy-time has begun, it ends nothing
        coordinator.expectNoMessage(Duration.ofMillis(200));
        time.timePasses(MachineStep.ANSWER_TIMEOUT.plusSeconds(1));
        coordinator.expectNoMessage(Duration.ofMillis(200)); // nor does the status's timer, cancelled
        time.timePasses(Duration.ofSeconds(20));
        Coordinator.StepReport end = coordinator.expectMessageClass(Coordinator.StepReport.class);
        assertEquals(Plan.Step.DONE, end.state(), end.detail());
        assertEquals(List.of(), reloads);
    }

    @Test
    void aStepToTheSameSettingsResentToTheNextAgentFollowsTheReloadTheFormerOneAskedFor() {
        status.set(status(Optional.empty(), 2));
        TestProbe<Coordinator.StepReport> coordinator = kit.createTestProbe();
        ActorRef<MachineAgent.Command> former = agent();
        former.tell(new MachineAgent.Run(new FleetNode.RunStep("p1", "", "", 10_000, coordinator.ref())));
        assertEquals(Plan.Step.RUNNING, coordinator.expectMessageClass(Coordinator.StepReport.class).state());
        coordinator.awaitAssert(() -> {
            assertEquals(1, reloads.size());
            return null;
        });
        reloads.get(0).replyTo().tell(new ActorRunner.ReloadAccepted(3, false, 2));
        coordinator.awaitAssert(() -> {
            assertEquals(java.util.OptionalInt.of(3), askedReloads.generationFor("p1"));
            return null;
        });
        // The fleet system ends mid-step (downed); the next one's agent gets the step again.
        kit.stop(former);
        status.set(status(Optional.of(3), 2));
        subscribers.clear();
        ActorRef<MachineAgent.Command> next = agent();
        next.tell(new MachineAgent.Run(new FleetNode.RunStep("p1", "", "", 10_000, coordinator.ref())));
        assertEquals(Plan.Step.RUNNING, coordinator.expectMessageClass(Coordinator.StepReport.class).state());
        coordinator.awaitAssert(() -> {
            assertTrue(!subscribers.isEmpty(), "the step follows the runner's events");
            return null;
        });
        subscribers.forEach(sub -> sub.tell(new RunnerEvent.ReloadCompleted(3, Duration.ofSeconds(3), Duration.ofSeconds(2), 2)));
        status.set(status(Optional.empty(), 3));
        time.timePasses(Duration.ofSeconds(10));
        Coordinator.StepReport end = coordinator.expectMessageClass(Coordinator.StepReport.class);
        assertEquals(Plan.Step.DONE, end.state(), end.detail());
        assertEquals(1, reloads.size(), "the resent step asked for no second reload");
    }
}
