package dev.actorrunner.supervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.Effect;
import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.BehaviorTestKit;
import akka.actor.testkit.typed.javadsl.ManualTime;
import akka.actor.testkit.typed.javadsl.TestInbox;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.internal.AdaptMessage;
import com.typesafe.config.ConfigFactory;
import dev.actorrunner.fixtures.Processes;
import dev.actorrunner.process.ExitStatus;
import dev.actorrunner.process.LaunchSpec;
import dev.actorrunner.supervisor.FakeLauncher.FakeProcess;
import dev.actorrunner.supervisor.Worker.Cause;
import dev.actorrunner.supervisor.Worker.Event;
import dev.actorrunner.supervisor.Worker.Exited;
import dev.actorrunner.supervisor.Worker.Listening;
import dev.actorrunner.supervisor.Worker.Started;
import dev.actorrunner.supervisor.Worker.Terminating;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * One Worker alone, its parent a probe, its process scripted, on manual time: no Master, no
 * processes, no sleeps. A Worker starts each timer before the side effect it bounds (the probe
 * timer before Started, the drain timer before it waits on the drain, the kill timer before
 * SIGTERM), so a test moves the clock only once it has seen that effect.
 */
class WorkerTest {
    private static final Duration PROBE = Duration.ofMillis(100);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(3);
    private static final Duration KILL_TIMEOUT = Duration.ofSeconds(5);
    private static final Worker.Timing TIMING =
            new Worker.Timing(READY_TIMEOUT, PROBE, DRAIN_TIMEOUT, KILL_TIMEOUT);
    private static final LaunchSpec SPEC =
            new LaunchSpec(7, 2, List.of("app"), "PORT", Map.of(), Optional.empty());
    private static final int ID = 7;
    private static final ExitStatus SIGTERMED = new ExitStatus(143);
    private static final ExitStatus SIGKILLED = new ExitStatus(137);
    /** How long to listen for a message that must not come: it delays a passing test, never fails one. */
    private static final Duration QUIET = Duration.ofMillis(200);

    private static final ActorTestKit kit =
            ActorTestKit.create(ManualTime.config().withFallback(ConfigFactory.load()));
    private static final ManualTime time = ManualTime.get(kit.system());

    private FakeLauncher launcher;
    private TestProbe<Event> parent;
    private ActorRef<Worker.Command> worker;

    @AfterAll
    static void shutdown() {
        kit.shutdownTestKit();
    }

    @BeforeEach
    void fresh() {
        launcher = new FakeLauncher();
        parent = kit.createTestProbe();
    }

    /** The clock is shared: a worker left running would fire its timers in a later test's timePasses. */
    @AfterEach
    void stopWorker() {
        if (worker != null) kit.stop(worker);
    }

    private void spawn() {
        worker = kit.spawn(Worker.create(SPEC, launcher, FakeLauncher.probe(), TIMING, parent.ref()));
    }

    /** Spawned and launched: its ready-timeout and first probe are scheduled. */
    private FakeProcess started() {
        spawn();
        Started started = parent.expectMessageClass(Started.class);
        FakeProcess p = launcher.worker(ID);
        assertEquals(new Started(ID, p.pid, p.port), started);
        return p;
    }

    private FakeProcess ready() {
        FakeProcess p = started();
        time.timePasses(PROBE);
        p.becomeReady();
        assertEquals(new Listening(ID), parent.expectMessageClass(Listening.class));
        return p;
    }

    /** Ready, then told to Stop with a drain that the test completes. */
    private FakeProcess draining(CompletableFuture<Integer> drained) {
        FakeProcess p = ready();
        worker.tell(new Worker.Stop(drained));
        // DrainTimeout is set before the Worker waits on the drain: once it waits, the timer runs.
        await(() -> drained.getNumberOfDependents() > 0, "the worker to wait on its drain");
        return p;
    }

    /** The last thing a Worker says, and then it is gone. */
    private void expectExited(FakeProcess p, ExitStatus status, Cause cause) {
        assertEquals(new Exited(ID, p.pid, status, cause, status.describe()),
                parent.expectMessageClass(Exited.class));
        parent.expectTerminated(worker);
    }

    /** Waits (real time, bounded) for what the Worker does on its own thread. */
    private static void await(BooleanSupplier done, String what) {
        assertTrue(Processes.poll(done, Duration.ofSeconds(5)), "timed out waiting for " + what);
    }

    private static CompletableFuture<Integer> never() {
        return new CompletableFuture<>();
    }

    @Test
    void launchedWorkerReportsStartedThenListeningOnceAProbePasses() {
        FakeProcess p = started();
        time.timePasses(PROBE.minusMillis(1));
        parent.expectNoMessage(QUIET);
        assertEquals(0, p.checks.get(), "no probe before probe-interval");

        time.timePasses(Duration.ofMillis(1));
        await(() -> p.checks.get() == 1, "the first probe");
        parent.expectNoMessage(QUIET);
        p.becomeReady();
        assertEquals(new Listening(ID), parent.expectMessageClass(Listening.class));

        // A ready worker outlives its ready-timeout.
        time.timePasses(READY_TIMEOUT);
        parent.expectNoMessage(QUIET);
        assertEquals(0, p.kills.get() + p.terms.get());
        assertEquals(1, p.checks.get(), "no probe once ready");
    }

    /**
     * Synchronous, so that the retry's timer is seen being set: on a real mailbox nothing shows
     * when the Worker has handled a failed probe, and the clock could move before the retry is due.
     */
    @Test
    void aProbeThatFailsIsRetriedAfterProbeInterval() {
        TestInbox<Event> inbox = TestInbox.create();
        BehaviorTestKit<Worker.Command> testKit = BehaviorTestKit.create(
                Worker.create(SPEC, launcher, FakeLauncher.answeringProbe(), TIMING, inbox.getRef()));
        runSelf(testKit); // Launched
        FakeProcess p = launcher.worker(ID);
        assertEquals(new Started(ID, p.pid, p.port), inbox.receiveMessage());
        List<Effect.TimerScheduled<?>> timers = timersScheduled(testKit);
        assertEquals(List.of("ReadyTimeout " + READY_TIMEOUT, "Probe " + PROBE), describe(timers));

        Effect.TimerScheduled<?> probe = timers.get(1);
        for (int check = 1; check <= 2; check++) {
            probe.send().apply(); // the probe timer fires
            runSelf(testKit); // Probe: the check answers "not ready"
            runSelf(testKit); // ProbeResult
            assertEquals(check, p.checks.get());
            timers = timersScheduled(testKit);
            assertEquals(List.of("Probe " + PROBE), describe(timers), "after failed check " + check);
            probe = timers.get(0);
            assertFalse(inbox.hasMessages());
        }

        p.becomeReady();
        probe.send().apply();
        runSelf(testKit);
        runSelf(testKit);
        assertEquals(new Listening(ID), inbox.receiveMessage());
        assertTrue(timersScheduled(testKit).isEmpty(), "no probe once ready");
    }

    /**
     * Runs the next message of the Worker's own inbox. Akka 2.6's BehaviorTestKit leaves what
     * pipeToSelf sends wrapped in an internal AdaptMessage (it unwraps only registered message
     * adapters), so this unwraps it as the real actor cell does.
     */
    private static void runSelf(BehaviorTestKit<Worker.Command> testKit) {
        TestInbox<?> self = testKit.selfInbox();
        Object next = self.receiveMessage();
        testKit.run((Worker.Command) (next instanceof AdaptMessage<?, ?> a ? a.adapt() : next));
    }

    private static List<Effect.TimerScheduled<?>> timersScheduled(BehaviorTestKit<?> testKit) {
        return testKit.getAllEffects().stream()
                .filter(e -> e instanceof Effect.TimerScheduled<?>)
                .<Effect.TimerScheduled<?>>map(e -> (Effect.TimerScheduled<?>) e)
                .toList();
    }

    private static List<String> describe(List<Effect.TimerScheduled<?>> timers) {
        return timers.stream().map(t -> t.msg().getClass().getSimpleName() + " " + t.duration()).toList();
    }

    @Test
    void workerNotReadyInTimeIsKilledAndExitsNotReadyWithoutListening() {
        FakeProcess p = started();
        time.timePasses(READY_TIMEOUT.minusMillis(1));
        parent.expectNoMessage(QUIET);
        assertEquals(0, p.kills.get(), "no kill before ready-timeout");

        time.timePasses(Duration.ofMillis(1));
        expectExited(p, SIGKILLED, Cause.NOT_READY);
        assertEquals(1, p.kills.get());
        assertEquals(0, p.terms.get(), "SIGKILL, not SIGTERM: a worker that is not ready has nothing to finish");
    }

    @Test
    void launchFailureExitsWithNoPidAndTheLaunchersReasonAndStops() {
        launcher.failLaunches = true;
        spawn();
        assertEquals(new Exited(ID, -1, new ExitStatus(-1), Cause.LAUNCH_FAILED, "cannot start \"app\": boom"),
                parent.expectMessageClass(Exited.class));
        parent.expectTerminated(worker);
        assertTrue(launcher.launched.isEmpty());
    }

    @Test
    void stopWhileLaunchingIsKeptAndTerminatesTheProcessOnceItRunsWithoutProbingIt() {
        launcher.holdLaunches = true;
        spawn();
        await(() -> launcher.heldLaunches() == 1, "the launch");
        worker.tell(new Worker.Stop(never()));
        worker.tell(new Worker.Stop(never()));
        launcher.finishHeldLaunches(); // the Launched it sends queues behind the Stops

        FakeProcess p = launcher.worker(ID);
        assertEquals(new Started(ID, p.pid, p.port), parent.expectMessageClass(Started.class));
        expectExited(p, SIGTERMED, Cause.STOPPED);
        assertEquals(1, p.terms.get());
        assertEquals(0, p.checks.get(), "no probe of a worker that is to stop");
    }

    @Test
    void killNowWhileLaunchingKillsTheProcessAsSoonAsItRuns() {
        launcher.holdLaunches = true;
        spawn();
        await(() -> launcher.heldLaunches() == 1, "the launch");
        worker.tell(new Worker.Stop(never()));
        worker.tell(Worker.KillNow.INSTANCE);
        worker.tell(new Worker.Stop(never())); // a Stop after the kill does not soften it
        launcher.finishHeldLaunches();

        FakeProcess p = launcher.worker(ID);
        assertEquals(new Started(ID, p.pid, p.port), parent.expectMessageClass(Started.class));
        expectExited(p, new ExitStatus(137), Cause.STOPPED);
        assertEquals(1, p.kills.get(), "SIGKILL at once, not after kill-timeout");
    }

    @Test
    void workerStoppedWhileLaunchingKillsTheProcessThatComesAfterAndStillReportsExited() {
        launcher.holdLaunches = true;
        spawn();
        await(() -> launcher.heldLaunches() == 1, "the launch");
        kit.stop(worker);
        Exited exited = parent.expectMessageClass(Exited.class);
        assertEquals(List.of(-1L, Cause.CRASHED), List.of(exited.pid(), exited.cause()));
        launcher.finishHeldLaunches();
        FakeProcess p = launcher.worker(ID);
        await(() -> p.kills.get() == 1, "the late process to be killed");
        assertFalse(p.isAlive());
        parent.expectNoMessage(Duration.ofMillis(200));
    }

    @Test
    void stopWhileStartingSendsSigtermAtOnceWithoutWaitingForTheDrain() {
        FakeProcess p = started();
        worker.tell(new Worker.Stop(never()));
        expectExited(p, SIGTERMED, Cause.STOPPED);
        assertEquals(1, p.terms.get());
        assertEquals(0, p.kills.get());
    }

    @Test
    void stopWhileReadyDrainsFirstAndSendsSigtermOnlyOnceTheDrainCompletes() {
        CompletableFuture<Integer> drained = never();
        FakeProcess p = draining(drained);
        parent.expectNoMessage(QUIET);
        assertEquals(0, p.terms.get(), "no SIGTERM while connections remain");

        drained.complete(2);
        assertEquals(new Terminating(ID, false), parent.expectMessageClass(Terminating.class));
        expectExited(p, SIGTERMED, Cause.STOPPED);
        assertEquals(1, p.terms.get());
        assertEquals(0, p.kills.get());
    }

    @Test
    void drainTimeoutSendsSigtermWithConnectionsLeft() {
        FakeProcess p = draining(never());
        time.timePasses(DRAIN_TIMEOUT.minusMillis(1));
        parent.expectNoMessage(QUIET);
        assertEquals(0, p.terms.get(), "no SIGTERM before drain-timeout");

        time.timePasses(Duration.ofMillis(1));
        assertEquals(new Terminating(ID, true), parent.expectMessageClass(Terminating.class));
        expectExited(p, SIGTERMED, Cause.STOPPED);
        assertEquals(1, p.terms.get());
    }

    @Test
    void aProcessThatIgnoresSigtermIsKilledWhenKillTimeoutPassesAndNotBefore() {
        launcher.newProcessesIgnoreTerm = true;
        FakeProcess p = started();
        worker.tell(new Worker.Stop(never()));
        // The kill timer is set before SIGTERM: once SIGTERM is seen, the grace runs.
        await(() -> p.terms.get() == 1, "SIGTERM");
        time.timePasses(KILL_TIMEOUT.minusMillis(1));
        parent.expectNoMessage(QUIET);
        assertEquals(0, p.kills.get(), "no SIGKILL before kill-timeout");

        time.timePasses(Duration.ofMillis(1));
        expectExited(p, SIGKILLED, Cause.STOPPED);
        assertEquals(1, p.kills.get());
        assertEquals(1, p.terms.get());
    }

    /** Where a KillNow finds the worker; the cause says whether it had been asked to stop. */
    enum LiveState {
        STARTING(Cause.CRASHED), READY(Cause.CRASHED), DRAINING(Cause.STOPPED), STOPPING(Cause.STOPPED);

        final Cause cause;

        LiveState(Cause cause) {
            this.cause = cause;
        }
    }

    @ParameterizedTest
    @EnumSource(LiveState.class)
    void killNowSendsSigkillAtOnceInEveryLiveState(LiveState state) {
        launcher.newProcessesIgnoreTerm = true;
        FakeProcess p = switch (state) {
            case STARTING -> started();
            case READY -> ready();
            case DRAINING -> draining(never());
            case STOPPING -> {
                FakeProcess stopping = started();
                worker.tell(new Worker.Stop(never()));
                await(() -> stopping.terms.get() == 1, "SIGTERM");
                yield stopping;
            }
        };
        worker.tell(Worker.KillNow.INSTANCE); // the clock stays: no timer can be what kills it
        expectExited(p, SIGKILLED, state.cause);
        assertEquals(1, p.kills.get());
    }

    @Test
    void processThatDiesWhileReadyExitsCrashedWithItsExitStatus() {
        FakeProcess p = ready();
        p.crash(3);
        expectExited(p, new ExitStatus(3), Cause.CRASHED);
        assertEquals(0, p.terms.get() + p.kills.get());
    }

    @Test
    void processThatDiesWhileStartingExitsCrashed() {
        FakeProcess p = started();
        p.crash(1);
        expectExited(p, new ExitStatus(1), Cause.CRASHED);
    }

    @Test
    void aSecondStopWhileDrainingChangesNothing() {
        CompletableFuture<Integer> drained = never();
        FakeProcess p = draining(drained);
        worker.tell(new Worker.Stop(CompletableFuture.completedFuture(0)));
        parent.expectNoMessage(QUIET);
        assertEquals(0, p.terms.get(), "the second Stop's drain is not waited on");

        drained.complete(0);
        assertEquals(new Terminating(ID, false), parent.expectMessageClass(Terminating.class));
        expectExited(p, SIGTERMED, Cause.STOPPED);
        assertEquals(1, p.terms.get());
    }

    @Test
    void aSecondStopAfterSigtermNeitherSignalsAgainNorPostponesTheKill() {
        launcher.newProcessesIgnoreTerm = true;
        FakeProcess p = started();
        worker.tell(new Worker.Stop(never()));
        await(() -> p.terms.get() == 1, "SIGTERM");
        time.timePasses(KILL_TIMEOUT.minusSeconds(1));
        worker.tell(new Worker.Stop(never()));
        parent.expectNoMessage(QUIET);
        assertEquals(1, p.terms.get());

        time.timePasses(Duration.ofSeconds(1));
        expectExited(p, SIGKILLED, Cause.STOPPED);
        assertEquals(1, p.terms.get());
        assertEquals(1, p.kills.get());
    }

    @Test
    void workerStoppedFromOutsideKillsItsProcessAndStillReportsExited() {
        FakeProcess p = ready();
        kit.stop(worker);
        assertEquals(new Exited(ID, p.pid, new ExitStatus(-1), Cause.CRASHED, "its supervising actor failed"),
                parent.expectMessageClass(Exited.class));
        assertEquals(1, p.kills.get(), "the process does not outlive its actor");
        parent.expectNoMessage(QUIET); // the process's own exit finds no actor to report it
    }

    @Test
    void workerThatFailsKillsItsProcessOnTheWayOut() {
        launcher.probesThrow = true;
        FakeProcess p = started();
        time.timePasses(PROBE); // the probe throws inside the actor
        assertEquals(new Exited(ID, p.pid, new ExitStatus(-1), Cause.CRASHED, "its supervising actor failed"),
                parent.expectMessageClass(Exited.class));
        parent.expectTerminated(worker);
        assertEquals(1, p.kills.get());
    }
}
