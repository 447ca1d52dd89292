package dev.actorrunner.control;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.actorrunner.RunnerEvent;
import dev.actorrunner.RunnerStatus;
import dev.actorrunner.RunnerEvent.ReloadStep;
import dev.actorrunner.control.ReloadFollow.Outcome;
import dev.actorrunner.control.ReloadFollow.Said;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What reload --wait prints of each event, without a socket. */
class ReloadFollowTest {

    private static Optional<String> line(ReloadFollow f, RunnerEvent e) {
        Said said = f.on(e);
        assertEquals(Optional.empty(), said.outcome(), e.toString());
        return said.progress();
    }

    @Test
    void theStartSaysEachChangeAndTheAppJarOneLineEach() {
        ReloadFollow f = new ReloadFollow(3, true);
        assertEquals(Optional.of("workers: 2 -> 3\napp jar /srv/app.jar: cannot be read (gone)"),
                line(f, new RunnerEvent.ReloadStarted(3, List.of("workers: 2 -> 3"),
                        Optional.of(new RunnerStatus.AppJar(java.nio.file.Path.of("/srv/app.jar"), "", "cannot be read (gone)")))));
        ReloadFollow queued = new ReloadFollow(4, false);
        assertEquals(Optional.of("reload 4 started\nenv: A added"),
                line(queued, new RunnerEvent.ReloadStarted(4, List.of("env: A added"), Optional.empty())));
    }

    @Test
    void aReloadsStepsAreOneLineEachAndItEndsWhenTheOldWorkersHaveExited() {
        ReloadFollow f = new ReloadFollow(3, true);
        assertEquals(Optional.empty(), line(f, new RunnerEvent.ReloadStarted(3)), "the start was said with the reply");
        assertEquals(Optional.of("worker 5 started (pid 105)"), line(f, new RunnerEvent.WorkerStarted(5, 3, 105, 20005)));
        assertEquals(Optional.empty(), line(f, new RunnerEvent.WorkerListening(5, 3, 105, 20005)));
        assertEquals(Optional.empty(), line(f, new RunnerEvent.WorkerDraining(2, 2, 102)), "said by the step");
        assertEquals(Optional.of("worker 5 ready in 2.1s, draining worker 2"), line(f, new ReloadStep(3,
                ReloadStep.Kind.READY, 5, Duration.ofMillis(2140), Duration.ZERO, List.of(2), 1, 2)));
        assertEquals(Optional.of("worker 6 ready in 0.8s, settling for 5.0s"), line(f, new ReloadStep(3,
                ReloadStep.Kind.SETTLING, 6, Duration.ofMillis(800), Duration.ofSeconds(5), List.of(), 1, 2)));
        assertEquals(Optional.of("worker 6 settled, up 5.8s, draining worker 3"), line(f, new ReloadStep(3,
                ReloadStep.Kind.SETTLED, 6, Duration.ofMillis(5800), Duration.ZERO, List.of(3), 2, 2)));
        assertEquals(Optional.of("reload 3 serving after 6.0s: every worker in rotation is new; waiting for 2 old"
                + " worker(s) to exit"), line(f, new RunnerEvent.ReloadServing(3, Duration.ofSeconds(6), 2)));
        assertEquals(Optional.of("worker 2 exited (exit code 0)"),
                line(f, new RunnerEvent.WorkerExited(2, 2, 102, 0, "exit code 0", true)));
        Said end = f.on(new RunnerEvent.ReloadCompleted(3, Duration.ofMillis(7250), Duration.ofSeconds(6), 2));
        assertEquals(Optional.of(new Outcome(true, "reload 3 completed in 7.3s (serving after 6.0s): 2 worker(s) replaced")),
                end.outcome());
    }

    @Test
    void stopFirstsFirstStepIsADrainWithoutAReadyWorker() {
        ReloadFollow f = new ReloadFollow(2, true);
        assertEquals(Optional.of("draining worker 1"), line(f, new ReloadStep(2, ReloadStep.Kind.DRAINING, 0,
                Duration.ZERO, Duration.ZERO, List.of(1), 1, 2)));
    }

    @Test
    void aQueuedReloadIgnoresTheRunningOnesWorkersAndSaysHowItEnded() {
        ReloadFollow f = new ReloadFollow(4, false);
        assertEquals(Optional.empty(), line(f, new RunnerEvent.WorkerStarted(7, 3, 107, 20007)));
        assertEquals(Optional.of("reload 3 aborted; reload 4 follows"), line(f, new RunnerEvent.ReloadAborted(3, "boom")));
        assertEquals(Optional.of("reload 4 started"), line(f, new RunnerEvent.ReloadStarted(4)));
        assertEquals(Optional.of("worker 8 started (pid 108)"), line(f, new RunnerEvent.WorkerStarted(8, 4, 108, 20008)));
    }

    @Test
    void aFailedWorkerIsSaidAndAnAbortOrAStopEndsTheWaitNotOk() {
        ReloadFollow f = new ReloadFollow(2, true);
        assertEquals(Optional.of("worker 3 failed: exit code 1"),
                line(f, new RunnerEvent.WorkerExited(3, 2, 103, 1, "exit code 1", false)));
        assertEquals(Optional.of(new Outcome(false, "reload 2 aborted: worker 3 (pid 103, gen 2) exited with exit code 1")),
                f.on(new RunnerEvent.ReloadAborted(2, "worker 3 (pid 103, gen 2) exited with exit code 1")).outcome());
        assertEquals(Optional.of(new Outcome(false, "the runner stopped before reload 2 ended")),
                new ReloadFollow(2, true).on(new RunnerEvent.Stopped(RunnerEvent.Stopped.Reason.REQUESTED)).outcome());
        assertEquals("the runner exited before reload 2 ended", f.runnerGone());
    }
}
