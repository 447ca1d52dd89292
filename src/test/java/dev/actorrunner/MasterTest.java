package dev.actorrunner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.FishingOutcomes;
import akka.actor.testkit.typed.javadsl.TestProbe;
import dev.actorrunner.RunnerEvent.ReloadAborted;
import dev.actorrunner.RunnerEvent.ReloadCompleted;
import dev.actorrunner.RunnerEvent.ReloadStarted;
import dev.actorrunner.RunnerEvent.WorkerDraining;
import dev.actorrunner.RunnerEvent.WorkerExited;
import dev.actorrunner.config.RunnerSettings.ReloadStrategy;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The Master's protocol against scripted processes, on manual time: no processes, no sleeps. */
class MasterTest extends MasterHarness {
    @Test
    void bootForksDesiredWorkersAndReportsEachListening() {
        startReady(3, b -> {});
        RunnerStatus s = status();
        assertEquals(3, s.readyCount());
        assertEquals(3, launcher.launched.size());
        assertEquals("PORT", launcher.worker(1).spec.portEnv());
    }

    @Test
    void surgeReloadStopsAnOldWorkerOnlyOnceItsReplacementIsListening() {
        startReady(2, b -> {});
        runner.tell(ActorRunner.Reload.INSTANCE);
        assertEquals(2, events.expectMessageClass(ReloadStarted.class).generation());
        assertEquals(3, expectStarted());
        probeFires();
        events.expectNoMessage(Duration.ofMillis(100));
        assertEquals(0, launcher.worker(1).terms.get(), "no old worker stops before its replacement is ready");

        launcher.worker(3).becomeReady();
        expectListening(3);
        assertEquals(1, events.expectMessageClass(WorkerDraining.class).workerId());
        // Worker 1's exit and worker 4's start both follow its leaving rotation, in either order.
        expectInAnyOrder(exited(1), started(4));
        assertEquals(2, launcher.serving(), "two workers serve while the second replacement starts");
        assertEquals(0, launcher.worker(2).terms.get());

        probeFires();
        launcher.worker(4).becomeReady();
        expectListening(4);
        assertEquals(2, events.expectMessageClass(WorkerDraining.class).workerId());
        // Complete once every worker in rotation is new; the last old one may still be exiting.
        expectInAnyOrder(exited(2), e -> e instanceof ReloadCompleted c && c.generation() == 2);
        assertEquals(4, launcher.launched.size());
        assertEquals(List.of(3, 4), status().workers().stream().map(RunnerStatus.Worker::id).toList());
    }

    @Test
    void withReloadSettleAnOldWorkerStopsOnlyOnceItsReplacementHasStayedUpThatLong() {
        startReady(2, b -> b.reloadSettle(Duration.ofSeconds(5)));
        reloadUntilTheFirstReplacementListens();
        afterMaster(Duration.ofSeconds(4));
        events.expectNoMessage(Duration.ofMillis(100));
        assertEquals(0, launcher.worker(1).terms.get(), "no old worker stops while its replacement settles");
        assertEquals(List.of(1, 2, 3), router.current(), "the settling worker serves meanwhile");

        time.timePasses(Duration.ofSeconds(1));
        assertEquals(1, events.expectMessageClass(WorkerDraining.class).workerId());
        expectInAnyOrder(exited(1), started(4));
        probeFires();
        launcher.worker(4).becomeReady();
        expectListening(4);
        events.expectNoMessage(Duration.ofMillis(100));
        time.timePasses(Duration.ofSeconds(5));
        assertEquals(2, events.expectMessageClass(WorkerDraining.class).workerId());
        expectInAnyOrder(exited(2), e -> e instanceof ReloadCompleted c && c.generation() == 2);
    }

    /**
     * Slow start: the front ramps a new worker's share up over the window, so the old worker it
     * replaces keeps serving until the ramp is over (capacity never dips), and status shows the
     * share the front gives each worker now.
     */
    @Test
    void withSlowStartAnOldWorkerStopsOnlyOnceItsReplacementsRampIsOver() {
        startReady(2, b -> b.slowStart(Duration.ofSeconds(10)).reloadSettle(Duration.ofSeconds(2)));
        assertEquals(Duration.ofSeconds(10), router.slowStart, "the front ramps over slow-start");
        reloadUntilTheFirstReplacementListens();
        RunnerEvent.ReloadStep settling = steps.expectMessageClass(RunnerEvent.ReloadStep.class);
        assertEquals(RunnerEvent.ReloadStep.Kind.SETTLING, settling.kind());
        assertEquals(Duration.ofSeconds(10), settling.settle(), "the longer of slow-start and reload-settle");
        router.shares.put(3, 40);
        assertEquals(List.of(100, 100, 40), status().workers().stream().map(RunnerStatus.Worker::sharePercent).toList());

        afterMaster(Duration.ofSeconds(9));
        events.expectNoMessage(Duration.ofMillis(100));
        assertEquals(List.of(1, 2, 3), router.current(), "the old workers serve while the new one ramps");
        time.timePasses(Duration.ofSeconds(1));
        assertEquals(1, events.expectMessageClass(WorkerDraining.class).workerId());
        router.shares.remove(3);
        expectInAnyOrder(exited(1), started(4));
        probeFires();
        launcher.worker(4).becomeReady();
        expectListening(4);
        events.expectNoMessage(Duration.ofMillis(100));
        assertEquals(List.of(2, 3, 4), router.current());
        time.timePasses(Duration.ofSeconds(10));
        assertEquals(2, events.expectMessageClass(WorkerDraining.class).workerId());
        expectInAnyOrder(exited(2), e -> e instanceof ReloadCompleted c && c.generation() == 2);
    }

    @Test
    void aReplacementThatDiesWhileItSettlesAbortsTheReloadBeforeAnyOldWorkerStops() {
        startReady(2, b -> b.reloadSettle(Duration.ofSeconds(5)));
        reloadUntilTheFirstReplacementListens();
        time.timePasses(Duration.ofSeconds(1));
        launcher.worker(3).crash(1); // a deploy that dies a second after it is ready
        assertFalse(events.expectMessageClass(WorkerExited.class).expected());
        events.expectMessageClass(ReloadAborted.class);
        time.timePasses(Duration.ofSeconds(10));
        assertEquals(0, launcher.worker(1).terms.get());
        assertEquals(0, launcher.worker(2).terms.get());
        assertEquals(List.of(1, 2), router.current(), "the old workers serve on");
        assertFalse(status().reloading());
    }

    @Test
    void statusShowsTheReloadsProgressAndThenItsResult() {
        startReady(2, b -> {});
        RunnerStatus before = status();
        assertTrue(before.reload().isEmpty());
        assertTrue(before.lastReload().isEmpty());
        assertEquals(RunnerStatus.ReloadTotals.NONE, before.reloads());

        runner.tell(ActorRunner.Reload.INSTANCE);
        runner.tell(ActorRunner.Reload.INSTANCE); // coalesced: one more after this one
        events.expectMessageClass(ReloadStarted.class);
        assertEquals(3, expectStarted());
        RunnerStatus during = status();
        assertEquals(new RunnerStatus.ReloadProgress(2, during.reload().orElseThrow().startedAt(), 2, 0),
                during.reload().orElseThrow());
        assertTrue(during.reloadQueued());
        assertEquals(List.of(RunnerStatus.State.READY, RunnerStatus.State.READY, RunnerStatus.State.STARTING),
                during.workers().stream().map(RunnerStatus.Worker::state).toList());
        assertEquals(List.of(1, 1, 2), during.workers().stream().map(RunnerStatus.Worker::generation).toList());

        probeFires();
        launcher.worker(3).becomeReady();
        expectListening(3);
        events.expectMessageClass(WorkerDraining.class);
        assertEquals(1, status().reload().orElseThrow().replaced());
        expectInAnyOrder(exited(1), started(4));
        probeFires();
        launcher.worker(4).becomeReady();
        expectListening(4);
        events.expectMessageClass(WorkerDraining.class);
        // The queued reload starts right away, forking its first replacement.
        expectInAnyOrder(exited(2), e -> e instanceof ReloadCompleted c && c.generation() == 2,
                e -> e instanceof ReloadStarted r && r.generation() == 3, started(5));
        RunnerStatus after = status();
        RunnerStatus.ReloadResult last = after.lastReload().orElseThrow();
        assertEquals(2, last.generation());
        assertTrue(last.completed());
        assertEquals(2, last.replaced());
        assertEquals("", last.reason());
        assertEquals(new RunnerStatus.ReloadTotals(2, 1, 0), after.reloads());
        assertEquals(3, after.reload().orElseThrow().generation());
        assertFalse(after.reloadQueued());
    }

    @Test
    void anAbortedReloadIsTheLastResultWithItsReason() {
        startReady(1, b -> {});
        runner.tell(ActorRunner.Reload.INSTANCE);
        events.expectMessageClass(ReloadStarted.class);
        assertEquals(2, expectStarted());
        launcher.worker(2).crash(3);
        events.expectMessageClass(WorkerExited.class);
        String reason = events.expectMessageClass(ReloadAborted.class).reason();
        RunnerStatus s = status();
        RunnerStatus.ReloadResult last = s.lastReload().orElseThrow();
        assertFalse(last.completed());
        assertEquals(reason, last.reason());
        assertTrue(reason.startsWith("worker 2 (pid "), reason);
        assertEquals(new RunnerStatus.ReloadTotals(1, 0, 1), s.reloads());
        assertTrue(s.reload().isEmpty());
    }

    @Test
    void aReloadQueuedBehindOneWhoseNewWorkerCrashesForksOnlyAfterTheBackoff() {
        startReady(1, b -> {});
        runner.tell(ActorRunner.Reload.INSTANCE);
        runner.tell(ActorRunner.Reload.INSTANCE); // queued behind reload 2
        events.expectMessageClass(ReloadStarted.class);
        assertEquals(2, expectStarted());
        launcher.worker(2).crash(3); // a bad deploy
        events.expectMessageClass(WorkerExited.class);
        assertEquals(2, events.expectMessageClass(ReloadAborted.class).generation());
        assertEquals(3, events.expectMessageClass(ReloadStarted.class).generation());
        // Reload 3 deploys the same build: its worker waits out the crash backoff like any
        // replacement, or a queue of reloads would crash-loop without one.
        events.expectNoMessage(Duration.ofMillis(200));
        assertEquals(2, launcher.launched.size());
        time.timePasses(BACKOFF_MIN);
        assertEquals(3, expectStarted());
        assertEquals(0, launcher.worker(1).terms.get(), "the old worker serves throughout");
    }

    @Test
    void aWorkerThatReplacesACrashedOneCountsItsRestartsAndItsConnections() {
        startReady(1, b -> {});
        router.connections.put(1, 5);
        RunnerStatus.Worker first = status().workers().get(0);
        assertEquals(0, first.restarts());
        assertEquals(5, first.connections());
        assertTrue(first.startedAt() != null && !first.startedAt().isAfter(java.time.Instant.now()));
        for (int id = 1; id <= 2; id++) {
            launcher.worker(id).crash(1);
            events.expectMessageClass(WorkerExited.class);
            afterMaster(BACKOFF_MAX);
            expectStarted();
            assertEquals(id, status().workers().get(0).restarts(), "worker " + (id + 1));
        }
        runner.tell(ActorRunner.Scale.by(1));
        expectStarted();
        assertEquals(List.of(2, 0), status().workers().stream().map(RunnerStatus.Worker::restarts).toList(),
                "a worker forked by a scale up starts a line of its own");
        assertEquals(2, status().crashes());
    }

    @Test
    void stopFirstReloadStopsAnOldWorkerBeforeForkingItsReplacement() {
        startReady(2, b -> b.reloadStrategy(ReloadStrategy.STOP_FIRST));
        runner.tell(ActorRunner.Reload.INSTANCE);
        events.expectMessageClass(ReloadStarted.class);
        assertEquals(1, events.expectMessageClass(WorkerDraining.class).workerId());
        expectInAnyOrder(exited(1), started(3));
        assertEquals(1, launcher.worker(1).terms.get());
        assertEquals(0, launcher.worker(2).terms.get(), "one step at a time: worker 2 waits for worker 3");

        probeFires();
        launcher.worker(3).becomeReady();
        expectListening(3);
        assertEquals(2, events.expectMessageClass(WorkerDraining.class).workerId());
        expectInAnyOrder(exited(2), started(4));
        probeFires();
        launcher.worker(4).becomeReady();
        expectListening(4);
        events.expectMessageClass(ReloadCompleted.class);
    }

    @Test
    void replacementNotReadyInTimeIsKilledAndReloadAbortedWhileOldWorkersServe() {
        startReady(2, b -> {});
        runner.tell(ActorRunner.Reload.INSTANCE);
        events.expectMessageClass(ReloadStarted.class);
        assertEquals(3, expectStarted());
        time.timePasses(READY_TIMEOUT);
        WorkerExited exited = events.expectMessageClass(WorkerExited.class);
        assertEquals(3, exited.workerId());
        assertFalse(exited.expected());
        assertEquals(1, launcher.worker(3).kills.get());
        events.expectMessageClass(ReloadAborted.class);
        assertEquals(0, launcher.worker(1).terms.get());
        assertEquals(0, launcher.worker(2).terms.get());
        assertEquals(2, launcher.serving());

        // Nothing is missing, so the backoff timer forks nothing: the old workers simply stay.
        time.timePasses(BACKOFF_MAX);
        events.expectNoMessage(Duration.ofMillis(200));
        RunnerStatus s = status();
        assertFalse(s.reloading());
        assertEquals(List.of(1, 2), s.workers().stream().map(RunnerStatus.Worker::id).toList());
    }

    @Test
    void reloadsRequestedDuringAReloadCoalesceIntoOneMore() {
        startReady(1, b -> {});
        runner.tell(ActorRunner.Reload.INSTANCE);
        runner.tell(ActorRunner.Reload.INSTANCE);
        runner.tell(ActorRunner.Reload.INSTANCE);
        runner.tell(ActorRunner.Reload.INSTANCE);
        assertEquals(2, events.expectMessageClass(ReloadStarted.class).generation());
        assertEquals(2, expectStarted());
        probeFires();
        launcher.worker(2).becomeReady();
        expectListening(2);
        events.expectMessageClass(WorkerDraining.class);
        // A reload completes once its old workers have exited (here at once), and only then does
        // the queued one start.
        assertEquals(1, events.expectMessageClass(WorkerExited.class).workerId());
        assertEquals(2, events.expectMessageClass(ReloadCompleted.class).generation());
        assertEquals(3, events.expectMessageClass(ReloadStarted.class).generation());
        assertEquals(3, expectStarted());
        probeFires();
        launcher.worker(3).becomeReady();
        expectListening(3);
        events.expectMessageClass(WorkerDraining.class);
        expectInAnyOrder(exited(2), e -> e instanceof ReloadCompleted c && c.generation() == 3);
        events.expectNoMessage(Duration.ofMillis(200));
        assertEquals(3, launcher.launched.size());
    }

    @Test
    void stopAllDuringAReloadStopsEveryWorkerAndForksNoMore() {
        startReady(2, b -> {});
        runner.tell(ActorRunner.Reload.INSTANCE);
        events.expectMessageClass(ReloadStarted.class);
        assertEquals(3, expectStarted());
        runner.tell(ActorRunner.StopAll.INSTANCE);
        assertEquals(RunnerEvent.Stopped.Reason.REQUESTED, awaitStopped().reason());
        assertEquals(3, launcher.launched.size());
        launcher.launched.forEach(p -> assertEquals(1, p.terms.get(), "pid " + p.pid + " got SIGTERM"));
        events.expectTerminated(runner);
        assertTrue(launcher.closed);
    }

    @Test
    void killFiresAfterKillTimeoutOnlyForAProcessStillAlive() {
        launcher.newProcessesIgnoreTerm = true;
        startReady(2, b -> {});
        launcher.worker(2).crash(0); // exits by itself: no kill for it
        events.expectMessageClass(WorkerExited.class);
        runner.tell(ActorRunner.StopAll.INSTANCE);
        events.expectMessageClass(WorkerDraining.class);
        // The Worker sets its Kill timer before it sends SIGTERM: once SIGTERM is seen, the grace runs.
        awaitWorker(() -> launcher.worker(1).terms.get() == 1, "SIGTERM after the drain");
        time.timePasses(KILL_TIMEOUT.minusMillis(1));
        events.expectNoMessage(Duration.ofMillis(100));
        assertEquals(0, launcher.worker(1).kills.get(), "no SIGKILL before the grace has passed");
        time.timePasses(Duration.ofMillis(1));
        WorkerExited exited = events.expectMessageClass(WorkerExited.class);
        assertEquals(137, exited.exitCode());
        assertEquals(1, launcher.worker(1).kills.get());
        assertEquals(0, launcher.worker(2).kills.get());
        events.expectMessageClass(RunnerEvent.Stopped.class);
    }

    @Test
    void secondStopAllKillsAtOnce() {
        launcher.newProcessesIgnoreTerm = true;
        startReady(1, b -> {});
        runner.tell(ActorRunner.StopAll.INSTANCE);
        events.expectMessageClass(WorkerDraining.class);
        runner.tell(ActorRunner.StopAll.INSTANCE);
        assertEquals(137, events.expectMessageClass(WorkerExited.class).exitCode());
        events.expectMessageClass(RunnerEvent.Stopped.class);
    }

    @Test
    void crashedWorkerIsReplacedWithBackoffThatGrowsToItsCapAndResetsAfterAStableRun() {
        startReady(1, b -> {});
        int id = 1;
        for (Duration expected : List.of(Duration.ofSeconds(1), Duration.ofSeconds(2),
                Duration.ofSeconds(4), Duration.ofSeconds(4))) {
            launcher.worker(id).crash(1);
            events.expectMessageClass(WorkerExited.class);
            assertReplacedAfter(expected);
            id++;
        }
        probeFires();
        launcher.worker(id).becomeReady();
        expectListening(id);
        time.timePasses(BACKOFF_RESET);
        launcher.worker(id).crash(1);
        events.expectMessageClass(WorkerExited.class);
        assertReplacedAfter(BACKOFF_MIN);
    }

    private void assertReplacedAfter(Duration delay) {
        afterMaster(delay.minusMillis(1));
        events.expectNoMessage(Duration.ofMillis(100));
        time.timePasses(Duration.ofMillis(1));
        expectStarted();
    }

    @Test
    void scaleUpForksAndScaleDownStopsTheSurplus() {
        startReady(2, b -> {});
        runner.tell(ActorRunner.Scale.by(1));
        assertEquals(3, expectStarted());
        probeFires();
        launcher.worker(3).becomeReady();
        expectListening(3);

        runner.tell(ActorRunner.Scale.to(1));
        assertEquals(1, events.expectMessageClass(WorkerDraining.class).workerId());
        assertEquals(2, events.expectMessageClass(WorkerDraining.class).workerId());
        events.expectMessageClass(WorkerExited.class);
        events.expectMessageClass(WorkerExited.class);
        RunnerStatus s = status();
        assertEquals(1, s.desiredWorkers());
        assertEquals(List.of(3), s.workers().stream().map(RunnerStatus.Worker::id).toList());

        runner.tell(ActorRunner.Scale.by(-5));
        events.expectNoMessage(Duration.ofMillis(200));
        assertEquals(1, status().desiredWorkers(), "never below one worker");
    }

    @Test
    void scalingDownWhileTheLastReplacementStartsLeavesExactlyTheNewCount() {
        startReady(2, b -> {});
        reloadUntilTheFirstReplacementListens();
        assertEquals(1, events.expectMessageClass(WorkerDraining.class).workerId());
        expectInAnyOrder(exited(1), started(4));
        // Worker 2 is the last one queued, worker 4 its replacement, starting: now scale to one.
        runner.tell(ActorRunner.Scale.to(1));
        List<RunnerEvent> got = List.of(events.receiveMessage(), events.receiveMessage());
        assertTrue(got.stream().anyMatch(e -> e instanceof WorkerDraining d && d.workerId() == 2), got.toString());
        assertTrue(got.stream().anyMatch(e -> e instanceof WorkerDraining d && d.workerId() == 4), got.toString());
        events.fishForMessage(Duration.ofSeconds(3), e -> e instanceof ReloadCompleted
                ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore());
        RunnerStatus s = status();
        assertEquals(1, s.desiredWorkers());
        assertEquals(List.of(3), s.workers().stream().filter(w -> w.state() == RunnerStatus.State.READY)
                .map(RunnerStatus.Worker::id).toList(), "one ready worker for a desired count of one");
    }

    @Test
    void appThatNeverBootsStopsTheRunnerAfterTheLimit() {
        start(2, b -> b.bootFailureLimit(3));
        expectStarted();
        expectStarted();
        launcher.worker(1).crash(1);
        launcher.worker(2).crash(1);
        events.expectMessageClass(WorkerExited.class);
        events.expectMessageClass(WorkerExited.class);
        time.timePasses(BACKOFF_MIN); // the second failure does not postpone the first's replacement
        expectStarted();
        expectStarted();
        launcher.launched.get(2).crash(1);
        events.expectMessageClass(WorkerExited.class);
        events.expectMessageClass(RunnerEvent.BootFailed.class);
        List<RunnerEvent> rest = List.of(events.receiveMessage(), events.receiveMessage());
        assertTrue(rest.get(0) instanceof WorkerDraining || rest.get(0) instanceof WorkerExited, rest::toString);
        assertEquals(RunnerEvent.Stopped.Reason.BOOT_FAILED, awaitStopped().reason());
    }

    @Test
    void launchFailuresCountAsBootFailures() {
        launcher.failLaunches = true;
        start(1, b -> b.bootFailureLimit(2));
        WorkerExited first = events.expectMessageClass(WorkerExited.class);
        assertEquals(-1, first.pid());
        assertTrue(first.description().contains("boom"), first.description());
        afterMaster(BACKOFF_MIN);
        events.expectMessageClass(WorkerExited.class);
        events.expectMessageClass(RunnerEvent.BootFailed.class);
        assertEquals(RunnerEvent.Stopped.Reason.BOOT_FAILED,
                events.expectMessageClass(RunnerEvent.Stopped.class).reason());
    }

    @Test
    void crashAfterBootDoesNotCountTowardBootFailure() {
        startReady(1, b -> b.bootFailureLimit(1));
        launcher.worker(1).crash(3);
        events.expectMessageClass(WorkerExited.class);
        afterMaster(BACKOFF_MIN);
        assertEquals(2, expectStarted());
        assertFalse(status().stopping());
    }

    @Test
    void workerActorThatFailsKillsItsProcessAndIsReplaced() {
        launcher.probesThrow = true;
        start(1, b -> {});
        expectStarted();
        launcher.probesThrow = false;
        probeFires();
        WorkerExited exited = events.expectMessageClass(WorkerExited.class);
        assertFalse(exited.expected());
        assertEquals(1, launcher.worker(1).kills.get(), "the process does not outlive its actor");
        afterMaster(BACKOFF_MIN);
        assertEquals(2, expectStarted());
    }

    @Test
    void rotationFollowsListeningStopNextAndDeath() {
        startReady(2, b -> {});
        assertEquals(List.of(1, 2), router.current());
        runner.tell(ActorRunner.Reload.INSTANCE);
        events.expectMessageClass(ReloadStarted.class);
        assertEquals(3, expectStarted());
        assertEquals(List.of(1, 2), router.current(), "a starting worker is not routed to");
        probeFires();
        launcher.worker(3).becomeReady();
        expectListening(3);
        events.expectMessageClass(WorkerDraining.class);
        assertTrue(router.tables.contains(List.of(1, 2, 3)), "worker 3 entered rotation: " + router.tables);
        assertEquals(List.of(2, 3), router.current(), "worker 1 left it the moment it was chosen");

        launcher.worker(2).crash(1); // an old worker dies during the reload
        expectInAnyOrder(exited(1), exited(2), started(4));
        assertEquals(List.of(3), router.current(), "a dead worker leaves rotation");
    }

    @Test
    void drainingWorkerGetsSigtermOnlyOnceItsConnectionsAreGone() {
        router.drainAtOnce = false;
        startReady(1, b -> {});
        runner.tell(ActorRunner.Scale.by(1));
        assertEquals(2, expectStarted());
        probeFires();
        launcher.worker(2).becomeReady();
        expectListening(2);
        runner.tell(ActorRunner.Scale.to(1));
        assertEquals(1, events.expectMessageClass(WorkerDraining.class).workerId());
        assertEquals(List.of(2), router.current());
        events.expectNoMessage(Duration.ofMillis(200));
        assertEquals(0, launcher.worker(1).terms.get(), "no SIGTERM while connections remain");
        router.drainOf(1).complete(3);
        assertEquals(1, events.expectMessageClass(WorkerExited.class).workerId());
        assertEquals(1, launcher.worker(1).terms.get());
    }

    @Test
    void drainTimeoutSendsSigtermEvenWithConnectionsLeft() {
        router.drainAtOnce = false;
        startReady(1, b -> {});
        runner.tell(ActorRunner.StopAll.INSTANCE);
        events.expectMessageClass(WorkerDraining.class);
        assertFalse(router.accepting, "a stopping runner accepts no new connection");
        // The Worker sets its DrainTimeout before it waits on the drain: once it waits, the timer runs.
        awaitWorker(() -> router.drainOf(1).getNumberOfDependents() > 0, "the worker to wait on its drain");
        time.timePasses(DRAIN_TIMEOUT.minusMillis(1));
        events.expectNoMessage(Duration.ofMillis(100));
        assertEquals(0, launcher.worker(1).terms.get());
        time.timePasses(Duration.ofMillis(1));
        events.expectMessageClass(WorkerExited.class);
        assertEquals(1, launcher.worker(1).terms.get());
        awaitStopped();
        events.expectTerminated(runner);
        assertTrue(router.closed, "the port is released when the runner stops");
    }

    @Test
    void aCrashWhileAReplacementIsDueDoesNotPostponeIt() {
        startReady(2, b -> {});
        launcher.worker(1).crash(1);
        events.expectMessageClass(WorkerExited.class);
        afterMaster(BACKOFF_MIN.dividedBy(2));
        launcher.worker(2).crash(1);
        events.expectMessageClass(WorkerExited.class);
        afterMaster(BACKOFF_MIN.dividedBy(2));
        expectInAnyOrder(started(3), started(4));
    }

    @Test
    void aReloadServesOnceEveryWorkerInRotationIsNewAndCompletesOnlyOnceTheOldOnesHaveExited() {
        router.drainAtOnce = false;
        startReady(1, b -> {});
        runner.tell(ActorRunner.Reload.INSTANCE);
        events.expectMessageClass(ReloadStarted.class);
        assertEquals(2, expectStarted());
        probeFires();
        launcher.worker(2).becomeReady();
        expectListening(2);
        assertEquals(1, events.expectMessageClass(WorkerDraining.class).workerId());
        RunnerEvent.ReloadStep step = steps.expectMessageClass(RunnerEvent.ReloadStep.class);
        assertEquals("worker 2 ready in", step.message().substring(0, "worker 2 ready in".length()));
        assertEquals(List.of(1), step.draining());
        RunnerEvent.ReloadServing serving = steps.expectMessageClass(RunnerEvent.ReloadServing.class);
        assertEquals(List.of(2, 1), List.of(serving.generation(), serving.oldWorkers()));

        events.expectNoMessage(Duration.ofMillis(200));
        RunnerStatus during = status();
        assertTrue(during.reloading(), "a reload runs until its old workers are gone");
        assertTrue(during.reload().orElseThrow().serving().isPresent());
        assertEquals(List.of(1), router.current().isEmpty() ? List.of() : List.of(router.current().size()),
                "only the new worker is in rotation");

        router.drainOf(1).complete(0);
        assertEquals(1, events.expectMessageClass(WorkerExited.class).workerId());
        ReloadCompleted completed = events.expectMessageClass(ReloadCompleted.class);
        assertEquals(List.of(2, 1), List.of(completed.generation(), completed.replaced()));
        assertTrue(completed.serving().compareTo(completed.took()) <= 0);
        RunnerStatus after = status();
        assertFalse(after.reloading());
        assertEquals(completed.serving(), after.lastReload().orElseThrow().serving().orElseThrow());
    }

    @Test
    void aReloadAnswersWhichGenerationItStartedOrThatItIsQueued() {
        startReady(2, b -> {});
        TestProbe<ActorRunner.ReloadReply> replies = kit.createTestProbe();
        runner.tell(new ActorRunner.Reload(replies.ref()));
        assertEquals(new ActorRunner.ReloadAccepted(2, false, 2), replies.receiveMessage());
        runner.tell(new ActorRunner.Reload(replies.ref()));
        runner.tell(new ActorRunner.Reload(replies.ref()));
        assertEquals(new ActorRunner.ReloadAccepted(3, true, 0), replies.receiveMessage());
        assertEquals(new ActorRunner.ReloadAccepted(3, true, 0), replies.receiveMessage(), "coalesced into reload 3");
    }

    @Test
    void scaleAndStopAnswerWhatTheyDidAndAStoppingRunnerRefusesReloadAndScale() {
        launcher.newProcessesIgnoreTerm = true; // the stop lasts until the test kills
        startReady(2, b -> {});
        TestProbe<ActorRunner.ScaleReply> scaled = kit.createTestProbe();
        runner.tell(ActorRunner.Scale.by(1).replyTo(scaled.ref()));
        assertEquals(new ActorRunner.ScaleAccepted(2, 3), scaled.receiveMessage());
        assertEquals(3, expectStarted());

        TestProbe<ActorRunner.StopAccepted> stopped = kit.createTestProbe();
        runner.tell(new ActorRunner.StopAll(stopped.ref()));
        assertEquals(new ActorRunner.StopAccepted(3, false), stopped.receiveMessage());
        TestProbe<ActorRunner.ReloadReply> reloaded = kit.createTestProbe();
        runner.tell(new ActorRunner.Reload(reloaded.ref()));
        assertEquals(new ActorRunner.Refused("the runner is stopping"), reloaded.receiveMessage());
        runner.tell(ActorRunner.Scale.to(5).replyTo(scaled.ref()));
        assertEquals(new ActorRunner.Refused("the runner is stopping"), scaled.receiveMessage());
        assertTrue(status().stopping());
        runner.tell(new ActorRunner.StopAll(stopped.ref()));
        assertEquals(new ActorRunner.StopAccepted(3, true), stopped.receiveMessage(), "the second one kills");
        assertEquals(RunnerEvent.Stopped.Reason.REQUESTED, awaitStopped().reason());
        assertEquals(3, launcher.launched.stream().filter(p -> p.kills.get() == 1).count());
    }

    @Test
    void stopFirstSaysThatItsFirstOldWorkerLeavesBeforeAnyReplacement() {
        startReady(2, b -> b.reloadStrategy(ReloadStrategy.STOP_FIRST));
        runner.tell(ActorRunner.Reload.INSTANCE);
        RunnerEvent.ReloadStep first = steps.expectMessageClass(RunnerEvent.ReloadStep.class);
        assertEquals("draining worker 1 (1 of 2 replaced)", first.message());
    }
}
