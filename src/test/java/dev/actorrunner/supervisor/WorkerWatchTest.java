package dev.actorrunner.supervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.Effect;
import akka.actor.testkit.typed.javadsl.BehaviorTestKit;
import akka.actor.testkit.typed.javadsl.TestInbox;
import akka.actor.typed.internal.AdaptMessage;
import dev.actorrunner.process.ExitStatus;
import dev.actorrunner.process.LaunchSpec;
import dev.actorrunner.supervisor.FakeLauncher.FakeProcess;
import dev.actorrunner.supervisor.Worker.Cause;
import dev.actorrunner.supervisor.Worker.Due;
import dev.actorrunner.supervisor.Worker.Event;
import dev.actorrunner.supervisor.Worker.Exited;
import dev.actorrunner.supervisor.Worker.Listening;
import dev.actorrunner.supervisor.Worker.Started;
import dev.actorrunner.supervisor.Worker.Terminating;
import dev.actorrunner.supervisor.Worker.Unhealthy;
import dev.actorrunner.supervisor.Worker.Watch;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * A ready Worker under watch: liveness checks, recycling limits, and the dump before a SIGKILL.
 * Synchronous (BehaviorTestKit): each timer is seen being set and fired by the test, so no clock
 * can move before the Worker has handled a check's answer.
 */
class WorkerWatchTest {
    private static final Duration PROBE = Duration.ofMillis(100);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration KILL_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration INTERVAL = Duration.ofSeconds(5);
    private static final Duration GRACE = Duration.ofSeconds(2);
    private static final Worker.Timing TIMING =
            new Worker.Timing(READY_TIMEOUT, PROBE, Duration.ofSeconds(3), KILL_TIMEOUT);
    private static final LaunchSpec SPEC = new LaunchSpec(7, 2, List.of("java"), "PORT", Map.of(), Optional.empty());
    private static final int ID = 7;
    private static final Watch CHECKED = new Watch(FakeLauncher.health(), "tcp check", INTERVAL, 3,
            Optional.empty(), GRACE, Path.of("dumps"), 0, Duration.ZERO);
    private static final Watch DUMPED = new Watch(null, "", INTERVAL, 3,
            Optional.of("QUIT"), GRACE, Path.of("dumps"), 0, Duration.ZERO);

    private final FakeLauncher launcher = new FakeLauncher();
    private final TestInbox<Event> parent = TestInbox.create();
    private BehaviorTestKit<Worker.Command> worker;
    private FakeProcess process;
    private final List<String> cancelled = new ArrayList<>();

    /** Launched, not ready: its ready-timeout and first probe are set. */
    private List<Effect.TimerScheduled<?>> started(Watch watch) {
        worker = BehaviorTestKit.create(Worker.create(SPEC, launcher, FakeLauncher.answeringProbe(), TIMING, watch,
                parent.getRef()));
        runSelf(); // Launched
        process = launcher.worker(ID);
        assertEquals(new Started(ID, process.pid, process.port), parent.receiveMessage());
        return timers();
    }

    /** Ready: what it watches is on timers, returned as the Worker set them. */
    private List<Effect.TimerScheduled<?>> ready(Watch watch) {
        return becomeReady(started(watch));
    }

    private List<Effect.TimerScheduled<?>> becomeReady(List<Effect.TimerScheduled<?>> startedTimers) {
        Effect.TimerScheduled<?> probe = named(startedTimers, "Probe");
        process.becomeReady();
        probe.send().apply();
        runSelf(); // Probe
        runSelf(); // ProbeResult
        assertEquals(new Listening(ID), parent.receiveMessage());
        return timers();
    }

    /** One check: the timer fires, the check runs, its answer is handled; the timers set meanwhile. */
    private List<Effect.TimerScheduled<?>> fire(Effect.TimerScheduled<?> timer) {
        timer.send().apply();
        return runAll();
    }

    /** Runs what the Worker has in its inbox (a timer's message, and what it pipes to itself); the timers it set. */
    private List<Effect.TimerScheduled<?>> runAll() {
        while (worker.selfInbox().hasMessages()) runSelf();
        return timers();
    }

    private void runSelf() {
        Object next = worker.selfInbox().receiveMessage();
        worker.run((Worker.Command) (next instanceof AdaptMessage<?, ?> a ? a.adapt() : next));
    }

    /** The timers set since the last look; those cancelled meanwhile go to {@link #cancelled}. */
    private List<Effect.TimerScheduled<?>> timers() {
        List<Effect> effects = worker.getAllEffects();
        effects.stream().filter(e -> e instanceof Effect.TimerCancelled).forEach(e -> cancelled.add(
                ((Effect.TimerCancelled) e).key().getClass().getSimpleName()));
        return effects.stream()
                .filter(e -> e instanceof Effect.TimerScheduled<?>)
                .<Effect.TimerScheduled<?>>map(e -> (Effect.TimerScheduled<?>) e)
                .toList();
    }

    private static Effect.TimerScheduled<?> named(List<Effect.TimerScheduled<?>> timers, String name) {
        return timers.stream().filter(t -> t.msg().getClass().getSimpleName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + name + " timer among " + describe(timers)));
    }

    private static List<String> describe(List<Effect.TimerScheduled<?>> timers) {
        return timers.stream().map(t -> t.msg().getClass().getSimpleName() + " " + t.duration()).toList();
    }

    @Test
    void checksBeginOnlyOnceReadyAndRunEveryInterval() {
        List<Effect.TimerScheduled<?>> timers = started(CHECKED);
        assertFalse(describe(timers).stream().anyMatch(t -> t.startsWith("Check")),
                "no liveness check of a worker that is not ready: " + describe(timers));
        timers = becomeReady(timers);
        assertEquals(List.of("Check " + INTERVAL), describe(timers));
        for (int n = 1; n <= 3; n++) {
            timers = fire(timers.get(0));
            assertEquals(n, process.liveChecks.get());
            assertEquals(List.of("Check " + INTERVAL), describe(timers), "the next check after check " + n);
        }
        assertFalse(parent.hasMessages(), "a healthy worker is not reported");
    }

    @Test
    void failuresInARowMakeItUnhealthyOnceAndARecoveryInBetweenStartsTheCountOver() {
        Effect.TimerScheduled<?> check = ready(CHECKED).get(0);
        process.problem = "no connection within 2s";
        check = fire(check).get(0);
        check = fire(check).get(0);
        process.problem = null; // it recovers before the third failure: it stays
        check = fire(check).get(0);
        process.problem = "no answer within 2s";
        check = fire(check).get(0);
        check = fire(check).get(0);
        assertFalse(parent.hasMessages(), "two failures in a row are not three");

        cancelled.clear();
        fire(check);
        assertEquals(new Unhealthy(ID, "tcp check failed 3 time(s) in a row, last: no answer within 2s"),
                parent.receiveMessage());
        assertEquals(List.of("Check"), cancelled, "no more checks once reported");
        assertEquals(0, process.terms.get() + process.kills.get(), "the parent decides: the worker only reports");
    }

    /** Checks start every interval; one that has not answered yet is not doubled by the next. */
    @Test
    void aCheckStillOnItsWayIsNotDoubledWhenTheNextIsDue() {
        Effect.TimerScheduled<?> check = ready(CHECKED).get(0);
        CompletableFuture<Optional<String>> slow = new CompletableFuture<>();
        process.nextCheck = slow;
        check = fire(check).get(0);
        assertEquals(1, process.liveChecks.get());
        check = fire(check).get(0);
        assertEquals(1, process.liveChecks.get(), "the first is still on its way");
        slow.complete(Optional.of("no answer within 2s"));
        runAll();
        fire(check);
        assertEquals(2, process.liveChecks.get());
        assertFalse(parent.hasMessages(), "two failures are not three");
    }

    @Test
    void whatTheFrontSawMakesItUnhealthyAtOnceWhenItsOwnCheckAgrees() {
        ready(CHECKED);
        process.problem = "connected, but not accepted within 2s";
        worker.run(new Worker.Confirm("3 request(s) in a row failed, last: no response within 2s"));
        runAll();
        assertEquals(1, process.liveChecks.get(), "checked at once, out of turn");
        assertEquals(new Unhealthy(ID, "3 request(s) in a row failed, last: no response within 2s, "
                + "then tcp check failed: connected, but not accepted within 2s"), parent.receiveMessage());
    }

    @Test
    void aWorkerThatIsOnlySlowStaysWhenItsOwnCheckPasses() {
        Effect.TimerScheduled<?> check = ready(CHECKED).get(0);
        worker.run(new Worker.Confirm("3 request(s) in a row failed, last: no response within 2s"));
        runAll();
        assertEquals(1, process.liveChecks.get());
        assertFalse(parent.hasMessages());
        process.problem = "HTTP 503"; // a later failure counts as the first of a run, not as a confirmation
        fire(check);
        assertFalse(parent.hasMessages());
    }

    @Test
    void anUnhealthyWorkerIsDumpedThenSigtermedWithoutADrainAndDumpedAgainBeforeItsSigkill() {
        launcher.newProcessesIgnoreTerm = true;
        ready(DUMPED);
        worker.run(new Worker.Stop(new CompletableFuture<>(), true)); // its drain never completes
        assertEquals(List.of("QUIT"), process.dumps, "its threads first, while it is stuck");
        assertEquals(0, process.terms.get());
        Effect.TimerScheduled<?> over = named(timers(), "DumpOver");
        assertEquals(GRACE, over.duration());

        List<Effect.TimerScheduled<?>> timers = fire(over);
        assertEquals(1, process.dumpsFinished.get());
        assertEquals(1, process.terms.get(), "SIGTERM once the dump grace is over, not after a drain");
        assertEquals(new Terminating(ID, false), parent.receiveMessage());
        Effect.TimerScheduled<?> kill = named(timers, "Kill");
        assertEquals(KILL_TIMEOUT, kill.duration());

        timers = fire(kill); // it ignored SIGTERM
        assertEquals(List.of("QUIT", "QUIT"), process.dumps, "a dump before every SIGKILL");
        assertEquals(0, process.kills.get());
        fire(named(timers, "DumpOver")); // the SIGKILL, and the exit it brings
        assertEquals(1, process.kills.get());
        assertEquals(2, process.dumpsFinished.get());
        assertEquals(new Exited(ID, process.pid, new ExitStatus(137), Cause.STOPPED, "signal 9 (KILL)"),
                parent.receiveMessage());
    }

    @Test
    void aWorkerNotReadyInTimeIsDumpedBeforeItsSigkill() {
        Effect.TimerScheduled<?> readyTimeout = named(started(DUMPED), "ReadyTimeout");
        List<Effect.TimerScheduled<?>> timers = fire(readyTimeout);
        assertEquals(List.of("QUIT"), process.dumps);
        assertEquals(0, process.kills.get(), "the SIGKILL waits for the dump grace");
        fire(named(timers, "DumpOver")); // the SIGKILL, and the exit it brings
        assertEquals(1, process.kills.get());
        Exited exited = (Exited) parent.receiveMessage();
        assertEquals(Cause.NOT_READY, exited.cause());
        assertEquals(1, process.dumpsFinished.get());
    }

    @Test
    void aWorkerThatExitsDuringItsDumpIsNotKilledAndWhatItPrintedIsKept() {
        List<Effect.TimerScheduled<?>> timers = fire(named(started(DUMPED), "ReadyTimeout"));
        named(timers, "DumpOver");
        process.crash(1);
        runSelf(); // ProcessExited
        assertEquals(Cause.NOT_READY, ((Exited) parent.receiveMessage()).cause());
        assertEquals(1, process.dumpsFinished.get(), "the dump is finished (written) when the process goes");
        assertEquals(0, process.kills.get());
    }

    @Test
    void killNowDuringADumpKillsAtOnce() {
        fire(named(started(DUMPED), "ReadyTimeout"));
        worker.run(Worker.KillNow.INSTANCE);
        assertEquals(1, process.kills.get());
    }

    @Test
    void withoutADumpSignalTheSigkillIsImmediate() {
        Watch none = new Watch(null, "", INTERVAL, 3, Optional.empty(), GRACE, Path.of("dumps"), 0, Duration.ZERO);
        fire(named(started(none), "ReadyTimeout"));
        assertEquals(1, process.kills.get());
        assertTrue(process.dumps.isEmpty());
    }

    @Test
    void memoryAboveTheLimitMakesItDueOnceWithTheFigure() {
        Watch limited = new Watch(null, "", INTERVAL, 3, Optional.empty(), GRACE, Path.of("dumps"), 512L << 20,
                Duration.ZERO);
        Effect.TimerScheduled<?> measure = named(ready(limited), "Measure");
        assertEquals(INTERVAL, measure.duration());
        process.rss = 512L << 20; // at the limit is not above it
        measure = named(fire(measure), "Measure");
        assertFalse(parent.hasMessages());

        process.rss = 600L << 20;
        List<Effect.TimerScheduled<?>> after = fire(measure);
        assertEquals(new Due(ID, "RSS 600 MiB above 512 MiB (max-memory)"), parent.receiveMessage());
        assertTrue(after.isEmpty(), "measured no more once due: " + describe(after));
        assertEquals(0, process.terms.get(), "the parent replaces it first");
    }

    @Test
    void lifetimeEndsWithinItsLastTenthAndMakesItDue() {
        Duration lifetime = Duration.ofSeconds(100);
        Watch aging = new Watch(null, "", INTERVAL, 3, Optional.empty(), GRACE, Path.of("dumps"), 0, lifetime);
        Effect.TimerScheduled<?> expired = named(ready(aging), "Expired");
        assertTrue(expired.duration().compareTo(Duration.ofSeconds(90)) >= 0
                && expired.duration().compareTo(lifetime) <= 0, "spread: " + expired.duration());
        expired.send().apply();
        runSelf();
        assertEquals(new Due(ID, "up 100s (max-lifetime)"), parent.receiveMessage());
    }
}
