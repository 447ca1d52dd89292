package dev.actorrunner.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.ManualTime;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import dev.actorrunner.config.FleetSettings;
import dev.actorrunner.config.RunnerSettings;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The coordinator's protocol against a stand-in fleet: a probe per machine's agent, a plan register
 * in memory (shared, so a second coordinator reads what the first wrote, and able to lose its
 * quorum), a manual clock and ManualTime for its timers. No cluster, no sleeps.
 */
class CoordinatorTest {
    private static final String SHA8 = "88".repeat(32);
    private static final String SHA7 = "77".repeat(32);
    private static final String JAR = "/srv/releases/current/app.jar";
    private static final FleetSettings SETTINGS = new FleetSettings(true, "a", new RunnerSettings.HostPort("127.0.0.1", 2551),
            List.of(), false, Optional.empty(), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(10),
            Duration.ofMinutes(5), Duration.ofMinutes(10), 1);

    private ActorTestKit kit;
    private ManualTime time;
    private final FakeFleet fleet = new FakeFleet();

    /** The cluster as the test makes it. */
    final class FakeFleet implements Fleetwide {
        final AtomicReference<RollDecisions.Membership> members = new AtomicReference<>();
        final Map<String, TestProbe<FleetNode.Command>> agents = new HashMap<>();
        final AtomicReference<Plan> stored = new AtomicReference<>(Plan.NONE);
        final AtomicBoolean quorum = new AtomicBoolean(true);
        final AtomicLong clock = new AtomicLong(1_764_000_000_000L);
        final AtomicReference<ActorRef<Map<String, NodeEntry>>> entries = new AtomicReference<>();

        void up(String... names) {
            Map<String, String> up = new HashMap<>();
            for (String n : names) {
                up.put(n, "akka://actor-runner-fleet@" + n + ":2551#1");
                agents.computeIfAbsent(n, x -> kit.createTestProbe(FleetNode.Command.class));
            }
            members.set(new RollDecisions.Membership(up, List.of()));
        }

        void unreachable(String... names) {
            members.set(new RollDecisions.Membership(members.get().up(), List.of(names)));
        }

        @Override
        public RollDecisions.Membership membership() {
            return members.get();
        }

        /** Members whose agents are not registered yet (the Receptionist lags the membership). */
        final java.util.Set<String> unregistered = java.util.concurrent.ConcurrentHashMap.newKeySet();

        @Override
        public Optional<ActorRef<FleetNode.Command>> agent(String name) {
            return unregistered.contains(name) ? Optional.empty() : Optional.ofNullable(agents.get(name)).map(TestProbe::ref);
        }

        @Override
        public Behavior<PlanRegister.Command> planRegister() {
            return Behaviors.receive(PlanRegister.Command.class)
                    .onMessage(PlanRegister.Read.class, m -> {
                        m.replyTo().tell(new PlanRegister.ReadResult(quorum.get() ? Optional.of(stored.get()) : Optional.empty()));
                        return Behaviors.same();
                    })
                    .onMessage(PlanRegister.Write.class, m -> {
                        if (quorum.get()) stored.set(m.plan());
                        m.replyTo().tell(new PlanRegister.Written(m.plan(), quorum.get()));
                        return Behaviors.same();
                    })
                    .build();
        }

        @Override
        public void watchEntries(ActorContext<?> context, ActorRef<Map<String, NodeEntry>> to) {
            entries.set(to);
        }

        @Override
        public long now() {
            return clock.get();
        }
    }

    @BeforeEach
    void start() {
        kit = ActorTestKit.create(ManualTime.config().withFallback(com.typesafe.config.ConfigFactory.load()));
        time = ManualTime.get(kit.system());
    }

    @AfterEach
    void stop() {
        kit.shutdownTestKit();
    }

    private void pass(Duration d) {
        fleet.clock.addAndGet(d.toMillis());
        time.timePasses(d);
    }

    private ActorRef<Coordinator.Command> coordinator() {
        return kit.spawn(Coordinator.create(SETTINGS, fleet));
    }

    private TestProbe<FleetNode.Command> agent(String name) {
        return fleet.agents.get(name);
    }

    /** The check every machine gets: answered fit, with the jar's hash. */
    private void passCheck(String... names) {
        for (String n : names) {
            FleetNode.CheckJar check = agent(n).expectMessageClass(FleetNode.CheckJar.class);
            check.replyTo().tell(new Coordinator.JarChecked(check.planId(), n, "", SHA8));
        }
    }

    /** The next step sent to {@code name}, after a tick. */
    private FleetNode.RunStep step(String name) {
        pass(Coordinator.TICK);
        return agent(name).expectMessageClass(FleetNode.RunStep.class);
    }

    private static void report(FleetNode.RunStep step, String node, String state) {
        step.replyTo().tell(new Coordinator.StepReport(step.planId(), node, state, state.equals(Plan.Step.DONE) ? "generation 2" : "x"));
    }

    /** A roll of a, b, c to JAR without a hash, accepted. */
    private Coordinator.RollAnswer startRoll(ActorRef<Coordinator.Command> c, int canary) {
        TestProbe<Coordinator.RollAnswer> answer = kit.createTestProbe();
        c.tell(new Coordinator.StartRoll(JAR, "", 1, canary, answer.ref()));
        passCheck("a", "b", "c");
        Coordinator.RollAnswer accepted = answer.expectMessageClass(Coordinator.RollAnswer.class);
        assertEquals(0, accepted.code(), accepted.message());
        return accepted;
    }

    @Test
    void aRollChecksEveryMachinePinsTheHashAndReloadsThemInOrder() {
        fleet.up("a", "b", "c");
        ActorRef<Coordinator.Command> c = coordinator();
        startRoll(c, 0);
        assertEquals(SHA8, fleet.stored.get().sha256(), "the hash the checks found is pinned in the plan");
        FleetNode.RunStep a = step("a");
        assertEquals(SHA8, a.sha256());
        agent("b").expectNoMessage(Duration.ofMillis(50));
        report(a, "a", Plan.Step.DONE);
        report(step("b"), "b", Plan.Step.DONE);
        report(step("c"), "c", Plan.Step.DONE);
        kit.createTestProbe().awaitAssert(() -> {
            assertEquals(Plan.COMPLETED, fleet.stored.get().state());
            return null;
        });
    }

    @Test
    void anUnansweredStepIsResent() {
        fleet.up("a", "b", "c");
        ActorRef<Coordinator.Command> c = coordinator();
        startRoll(c, 0);
        FleetNode.RunStep first = step("a");
        pass(RollDecisions.RESEND);
        FleetNode.RunStep again = agent("a").expectMessageClass(FleetNode.RunStep.class);
        assertEquals(first.planId(), again.planId(), "the same step: the agent answers it with its state");
        agent("b").expectNoMessage(Duration.ofMillis(50));
    }

    @Test
    void aNewCoordinatorResumesThePlanItFinds() {
        fleet.up("a", "b", "c");
        fleet.stored.set(Plan.start("p1", JAR, SHA8, 1, 0, List.of("a", "b", "c"), fleet.now())
                .withStep("a", Plan.Step.DONE, "", fleet.now()).withStep("b", Plan.Step.RUNNING, "", fleet.now()));
        ActorRef<Coordinator.Command> c = coordinator();
        FleetNode.RunStep b = step("b");
        assertEquals("p1", b.planId(), "the running step again, under its plan's id");
        agent("a").expectNoMessage(Duration.ofMillis(50));
        agent("c").expectNoMessage(Duration.ofMillis(50));
        report(b, "b", Plan.Step.DONE);
        assertEquals("p1", step("c").planId());
        TestProbe<Coordinator.RollAnswer> answer = kit.createTestProbe();
        c.tell(new Coordinator.StartRoll(JAR, "", 1, 0, answer.ref()));
        assertEquals(2, answer.expectMessageClass(Coordinator.RollAnswer.class).code());
    }

    @Test
    void aStepPastMachineDeadlineAbortsTheRoll() {
        fleet.up("a", "b", "c");
        startRoll(coordinator(), 0);
        step("a");
        pass(SETTINGS.machineDeadline().plusSeconds(1));
        kit.createTestProbe().awaitAssert(() -> {
            assertEquals(Plan.ABORTED, fleet.stored.get().state());
            assertEquals("a missed machine-deadline (300s)", fleet.stored.get().reason());
            return null;
        });
    }

    @Test
    void aRollWithoutProgressIsAbortedAtProgressDeadline() {
        fleet.up("a", "b", "c");
        fleet.stored.set(Plan.start("p1", JAR, SHA8, 1, 0, List.of("a", "b", "c"), fleet.now()));
        fleet.unreachable("c"); // nothing can start, so nothing progresses
        coordinator();
        pass(SETTINGS.progressDeadline().plusSeconds(1));
        kit.createTestProbe().awaitAssert(() -> {
            assertEquals(Plan.ABORTED, fleet.stored.get().state());
            assertEquals("no progress for progress-deadline (600s)", fleet.stored.get().reason());
            return null;
        });
    }

    @Test
    void noStepStartsWhileAMemberIsUnreachable() {
        fleet.up("a", "b", "c");
        ActorRef<Coordinator.Command> c = coordinator();
        startRoll(c, 0);
        fleet.unreachable("c");
        pass(Coordinator.TICK);
        pass(Coordinator.TICK);
        agent("a").expectNoMessage(Duration.ofMillis(100));
        fleet.up("a", "b", "c");
        step("a");
    }

    @Test
    void aCanaryPausesUntilPromotedAndAnAbortIsAcknowledgedOnceAMajorityHoldsIt() {
        fleet.up("a", "b", "c");
        ActorRef<Coordinator.Command> c = coordinator();
        startRoll(c, 1);
        report(step("a"), "a", Plan.Step.DONE);
        kit.createTestProbe().awaitAssert(() -> {
            assertEquals(Plan.PAUSED, fleet.stored.get().state());
            return null;
        });
        pass(SETTINGS.progressDeadline().multipliedBy(2));
        agent("b").expectNoMessage(Duration.ofMillis(100));
        assertEquals(Plan.PAUSED, fleet.stored.get().state(), "a pause is not cut off by progress-deadline");

        TestProbe<Coordinator.RollAnswer> answer = kit.createTestProbe();
        c.tell(new Coordinator.Promote(answer.ref()));
        assertEquals(0, answer.expectMessageClass(Coordinator.RollAnswer.class).code());
        step("b");

        fleet.quorum.set(false);
        c.tell(new Coordinator.Abort(answer.ref()));
        Coordinator.RollAnswer notAborted = answer.expectMessageClass(Coordinator.RollAnswer.class);
        assertEquals(2, notAborted.code(), "no majority holds the abort: it is not reported done");
        assertTrue(notAborted.message().contains("was not aborted"), notAborted.message());
        assertEquals(Plan.RUNNING, fleet.stored.get().state());

        fleet.quorum.set(true);
        c.tell(new Coordinator.Abort(answer.ref()));
        Coordinator.RollAnswer aborted = answer.expectMessageClass(Coordinator.RollAnswer.class);
        assertEquals(0, aborted.code(), aborted.message());
        assertEquals(Plan.ABORTED, fleet.stored.get().state(), "written before it was acknowledged");
        assertEquals("aborted by the operator", fleet.stored.get().reason());
    }

    @Test
    void aRequestThatDoesNotFitTheRollIsRefusedAndTheRollGoesOn() {
        fleet.up("a", "b", "c");
        ActorRef<Coordinator.Command> c = coordinator();
        startRoll(c, 0);
        TestProbe<Coordinator.RollAnswer> answer = kit.createTestProbe();
        c.tell(new Coordinator.StartRoll(JAR, "", 1, 0, answer.ref()));
        assertEquals(2, answer.expectMessageClass(Coordinator.RollAnswer.class).code());
        c.tell(new Coordinator.Promote(answer.ref()));
        assertEquals(2, answer.expectMessageClass(Coordinator.RollAnswer.class).code());
        FleetNode.RunStep a = step("a");
        report(a, "a", Plan.Step.DONE);
        step("b");
    }

    @Test
    void aNodeJoiningOnTheOldReleaseIsCaughtUpOnceUnderTheReleasesIdentity() {
        fleet.up("a", "b", "c");
        Plan done = Plan.start("p1", JAR, SHA8, 1, 0, List.of("a", "b"), fleet.now())
                .withStep("a", Plan.Step.DONE, "", fleet.now()).withStep("b", Plan.Step.DONE, "", fleet.now());
        fleet.stored.set(done);
        coordinator();
        long later = fleet.now() + 1000;
        TestProbe<Object> ready = kit.createTestProbe();
        ready.awaitAssert(() -> {
            assertTrue(fleet.entries.get() != null);
            return null;
        });
        fleet.entries.get().tell(Map.of(
                "a", new NodeEntry("a", "", "app", "/srv/releases/8/app.jar", SHA8, 2, 2, 2, "completed 2", "", later),
                "b", new NodeEntry("b", "", "app", "/srv/releases/8/app.jar", SHA8, 2, 2, 2, "completed 2", "", later),
                "c", new NodeEntry("c", "", "app", "/srv/releases/7/app.jar", SHA7, 1, 2, 2, "idle", "", later)));
        pass(Coordinator.CATCH_UP.plusSeconds(1));
        FleetNode.CheckJar check = agent("c").expectMessageClass(FleetNode.CheckJar.class);
        assertEquals(SHA8, check.sha256(), "checked against the release's hash");
        agent("a").expectNoMessage(Duration.ofMillis(50));
        check.replyTo().tell(new Coordinator.JarChecked(check.planId(), "c", "", SHA8));
        FleetNode.RunStep step = step("c");
        assertEquals("p1", fleet.stored.get().releaseId(), "the catch-up keeps the release's identity");
        report(step, "c", Plan.Step.DONE);
        kit.createTestProbe().awaitAssert(() -> {
            assertEquals(Plan.COMPLETED, fleet.stored.get().state());
            return null;
        });
        // c publishes the release; a coordinator that took over would read the catch-up plan: nothing more to do.
        fleet.entries.get().tell(Map.of("c", new NodeEntry("c", "", "app", "/srv/releases/8/app.jar", SHA8, 2, 2, 2,
                "completed 2", "", fleet.now() + 1000)));
        pass(Coordinator.CATCH_UP.plusSeconds(1));
        pass(Coordinator.CATCH_UP.plusSeconds(1));
        agent("c").expectNoMessage(Duration.ofMillis(100));
        agent("a").expectNoMessage(Duration.ofMillis(50));
    }

    @Test
    void anAgentRegisteredAMomentAfterItsNodeIsCheckedOnceKnownNotRefusedAfterTheTimeout() {
        fleet.up("a", "b", "c");
        fleet.unregistered.add("c");
        ActorRef<Coordinator.Command> c = coordinator();
        TestProbe<Coordinator.RollAnswer> answer = kit.createTestProbe();
        c.tell(new Coordinator.StartRoll(JAR, "", 1, 0, answer.ref()));
        passCheck("a", "b");
        pass(Duration.ofSeconds(2));
        agent("c").expectNoMessage(Duration.ofMillis(50));
        fleet.unregistered.remove("c");
        pass(RollCheck.RESEND);
        passCheck("c");
        Coordinator.RollAnswer accepted = answer.expectMessageClass(Coordinator.RollAnswer.class);
        assertEquals(0, accepted.code(), accepted.message());
        step("a"); // the roll begins, in order
        pass(RollCheck.RESEND.multipliedBy(4));
        agent("c").expectNoMessage(Duration.ofMillis(50)); // no further check: the resend stopped
    }

    @Test
    void aMachineWhoseAgentNeverShowsIsNamedWhenTheCheckTimesOut() {
        fleet.up("a", "b");
        fleet.unregistered.add("b");
        ActorRef<Coordinator.Command> c = coordinator();
        TestProbe<Coordinator.RollAnswer> answer = kit.createTestProbe();
        c.tell(new Coordinator.StartRoll(JAR, "", 1, 0, answer.ref()));
        passCheck("a");
        pass(Coordinator.CHECK_TIMEOUT);
        Coordinator.RollAnswer refused = answer.expectMessageClass(Coordinator.RollAnswer.class);
        assertEquals(2, refused.code());
        assertTrue(refused.message().contains("no answer to the check from b (no fleet agent found on b)"), refused.message());
    }
}
