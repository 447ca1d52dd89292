package dev.actorrunner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.FishingOutcomes;
import akka.actor.testkit.typed.javadsl.ManualTime;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import com.typesafe.config.ConfigFactory;
import dev.actorrunner.RunnerEvent.ReloadStarted;
import dev.actorrunner.RunnerEvent.WorkerExited;
import dev.actorrunner.RunnerEvent.WorkerListening;
import dev.actorrunner.RunnerEvent.WorkerStarted;
import dev.actorrunner.config.RunnerSettings;
import dev.actorrunner.fixtures.Processes;
import dev.actorrunner.probe.HealthProbe;
import dev.actorrunner.supervisor.FakeLauncher;
import dev.actorrunner.supervisor.FakeRouter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;

/**
 * A Master against scripted processes and a recording router, on manual time: no processes, no
 * sleeps. One test kit (and clock) per test class; the tests of a class share it, so each stops
 * its runner.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class MasterHarness {
    static final Duration PROBE = Duration.ofMillis(100);
    static final Duration READY_TIMEOUT = Duration.ofSeconds(10);
    static final Duration KILL_TIMEOUT = Duration.ofSeconds(5);
    static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(3);
    static final Duration BACKOFF_MIN = Duration.ofSeconds(1);
    static final Duration BACKOFF_MAX = Duration.ofSeconds(4);
    static final Duration BACKOFF_RESET = Duration.ofSeconds(30);

    final ActorTestKit kit = ActorTestKit.create(ManualTime.config().withFallback(ConfigFactory.load()));
    final ManualTime time = ManualTime.get(kit.system());

    FakeLauncher launcher;
    FakeRouter router;
    /** Every event but the reload's steps and its serving moment, which {@link #steps} gets. */
    TestProbe<RunnerEvent> events;
    TestProbe<RunnerEvent> steps;
    ActorRef<ActorRunner.Command> runner;
    /** The liveness check the runner gives its workers; none unless a test sets one. */
    HealthProbe health;

    @AfterAll
    void shutdown() {
        kit.shutdownTestKit();
    }

    /** The clock is shared: a runner left running would fire its timers in a later test's timePasses. */
    @AfterEach
    void stopRunner() {
        if (runner != null) kit.stop(runner);
    }

    @BeforeEach
    void fresh() {
        launcher = new FakeLauncher();
        router = new FakeRouter();
        events = kit.createTestProbe();
        steps = kit.createTestProbe();
    }

    /** Sorts the runner's events onto the two probes, in the order the runner sent them. */
    ActorRef<RunnerEvent> sorter() {
        ActorRef<RunnerEvent> toEvents = events.ref();
        ActorRef<RunnerEvent> toSteps = steps.ref();
        return kit.spawn(akka.actor.typed.javadsl.Behaviors.receive(RunnerEvent.class).onAnyMessage(e -> {
            (e instanceof RunnerEvent.ReloadStep || e instanceof RunnerEvent.ReloadServing ? toSteps : toEvents).tell(e);
            return akka.actor.typed.javadsl.Behaviors.same();
        }).build());
    }

    void start(int workers, Consumer<RunnerSettings.Builder> tweak) {
        RunnerSettings.Builder b = settings(workers, List.of("app"));
        tweak.accept(b);
        runner = kit.spawn(Master.create(b.build(), r -> launcher, FakeLauncher.probe(), health,
                List.of(sorter()), s -> router));
    }

    /** The settings every test starts from, running {@code command}. */
    static RunnerSettings.Builder settings(int workers, List<String> command) {
        return RunnerSettings.builder(command)
                .workers(workers)
                .probeInterval(PROBE)
                .readyTimeout(READY_TIMEOUT)
                .killTimeout(KILL_TIMEOUT)
                .drainTimeout(DRAIN_TIMEOUT)
                .backoffMin(BACKOFF_MIN)
                .backoffMax(BACKOFF_MAX)
                .backoffReset(BACKOFF_RESET)
                .slowStart(Duration.ZERO); // the protocol tests of slow start set it
    }

    void startReady(int workers, Consumer<RunnerSettings.Builder> tweak) {
        start(workers, tweak);
        for (int i = 0; i < workers; i++) expectStarted();
        time.timePasses(PROBE);
        for (int i = 1; i <= workers; i++) {
            launcher.worker(i).becomeReady();
            expectListening(i);
        }
    }

    int expectStarted() {
        return events.expectMessageClass(WorkerStarted.class).workerId();
    }

    /** A started worker's first probe fires; the fake's check then completes when it is ready. */
    void probeFires() {
        time.timePasses(PROBE);
    }

    void expectListening(int id) {
        assertEquals(id, events.expectMessageClass(WorkerListening.class).workerId());
    }

    static Predicate<RunnerEvent> exited(int id) {
        return e -> e instanceof WorkerExited x && x.workerId() == id;
    }

    static Predicate<RunnerEvent> started(int id) {
        return e -> e instanceof WorkerStarted x && x.workerId() == id;
    }

    /** The next events match the predicates, in any order (they come from independent actors). */
    @SafeVarargs
    final void expectInAnyOrder(Predicate<RunnerEvent>... expected) {
        List<RunnerEvent> got = new ArrayList<>();
        for (int i = 0; i < expected.length; i++) got.add(events.receiveMessage());
        for (Predicate<RunnerEvent> p : expected) {
            assertTrue(got.stream().anyMatch(p), "unexpected events: " + got);
        }
    }

    /** After startReady(2): Reload, and its first replacement (worker 3) starts and is ready. */
    void reloadUntilTheFirstReplacementListens() {
        runner.tell(ActorRunner.Reload.INSTANCE);
        events.expectMessageClass(ReloadStarted.class);
        assertEquals(3, expectStarted());
        probeFires();
        launcher.worker(3).becomeReady();
        expectListening(3);
    }

    RunnerEvent.Stopped awaitStopped() {
        List<RunnerEvent> seen = events.fishForMessage(Duration.ofSeconds(3), e -> e instanceof RunnerEvent.Stopped
                ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore());
        return (RunnerEvent.Stopped) seen.get(seen.size() - 1);
    }

    /**
     * Moves the clock once the Master has handled everything sent to it so far (a GetStatus round
     * trip): a timer it starts after publishing an event, such as the crash backoff after
     * WorkerExited, is then in place, and the clock cannot jump past it before it is set.
     */
    void afterMaster(Duration d) {
        status();
        time.timePasses(d);
    }

    /** Waits (real time, bounded) for what a Worker actor does on its own thread. */
    static void awaitWorker(BooleanSupplier done, String what) {
        assertTrue(Processes.poll(done, Duration.ofSeconds(5)), what);
    }

    RunnerStatus status() {
        TestProbe<RunnerStatus> reply = kit.createTestProbe();
        runner.tell(new ActorRunner.GetStatus(reply.ref()));
        return reply.receiveMessage();
    }
}
