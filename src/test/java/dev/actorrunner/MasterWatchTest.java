package dev.actorrunner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.FishingOutcomes;
import dev.actorrunner.RunnerEvent.ReloadAborted;
import dev.actorrunner.RunnerEvent.ReloadCompleted;
import dev.actorrunner.RunnerEvent.ReloadStarted;
import dev.actorrunner.RunnerEvent.WorkerDraining;
import dev.actorrunner.RunnerEvent.WorkerExited;
import dev.actorrunner.RunnerEvent.WorkerRecycled;
import dev.actorrunner.RunnerEvent.WorkerUnhealthy;
import dev.actorrunner.config.RunnerSettings;
import dev.actorrunner.config.RunnerSettings.Health;
import dev.actorrunner.supervisor.FakeLauncher;
import dev.actorrunner.supervisor.FakeLauncher.FakeProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What the Master does with a worker that fails its checks (active, or passive from the front)
 * and with one that reaches a recycling limit: the order of replacement, and that no fewer
 * workers serve than the runner can keep.
 */
class MasterWatchTest extends MasterHarness {
    private static final Duration INTERVAL = Duration.ofSeconds(1);
    private static final Duration GRACE = Duration.ofSeconds(2);
    /** One failed check is enough here: WorkerWatchTest counts the run of failures. */
    private static final Health CHECKED = new Health(new Health.Check.Tcp(), INTERVAL, Duration.ofSeconds(1), 1);
    private static final RunnerSettings.Dumps DUMPED = new RunnerSettings.Dumps("QUIT", GRACE, Path.of("dumps"));

    @Test
    void aWorkerThatFailsItsCheckLeavesRotationAtOnceIsDumpedStoppedAndReplaced() {
        health = FakeLauncher.health();
        startReady(2, b -> b.health(CHECKED).dumps(DUMPED));
        time.timePasses(BACKOFF_RESET); // both have served long enough not to count as a crash loop
        FakeProcess sick = launcher.worker(1);
        sick.problem = "no connection within 1s";
        time.timePasses(INTERVAL);

        WorkerUnhealthy unhealthy = events.expectMessageClass(WorkerUnhealthy.class);
        assertEquals(1, unhealthy.workerId());
        assertEquals("tcp check failed 1 time(s) in a row, last: no connection within 1s", unhealthy.reason());
        assertEquals(List.of(2), router.current(), "out of rotation at once, without a drain");
        assertEquals(List.of(1), router.abandoned, "what waits on it is given up on");
        assertEquals(3, expectStarted(), "its replacement starts at once");
        assertEquals(RunnerStatus.State.UNHEALTHY, status().workers().stream()
                .filter(w -> w.id() == 1).findFirst().orElseThrow().state());

        awaitWorker(() -> sick.dumps.size() == 1, "its threads to be dumped");
        assertEquals(0, sick.terms.get(), "the dump comes first, while it is stuck");
        time.timePasses(GRACE);
        awaitWorker(() -> sick.terms.get() == 1, "SIGTERM after the dump grace");
        events.fishForMessage(Duration.ofSeconds(3), e -> e instanceof WorkerExited x && x.workerId() == 1
                ? FishingOutcomes.complete()
                : FishingOutcomes.continueAndIgnore());

        probeFires();
        launcher.worker(3).becomeReady();
        expectListening(3);
        assertEquals(List.of(2, 3), router.current());
        assertEquals(3, launcher.launched.size(), "one replacement, not more");
    }

    @Test
    void whenTheFrontsRequestsKeepFailingTheWorkersOwnCheckDecides() {
        health = FakeLauncher.health();
        startReady(2, b -> b.health(new Health(new Health.Check.Tcp(), Duration.ofMinutes(1), Duration.ofSeconds(2), 3)));
        time.timePasses(BACKOFF_RESET);
        String seen = "3 request(s) in a row failed, last: no response within 2s";
        router.unresponsive.accept(1, seen); // its check passes: only slow, it stays
        awaitWorker(() -> launcher.worker(1).liveChecks.get() == 1, "worker 1 to be checked out of turn");

        launcher.worker(2).problem = "connected, but not accepted within 2s";
        router.unresponsive.accept(2, seen);
        WorkerUnhealthy unhealthy = events.expectMessageClass(WorkerUnhealthy.class);
        assertEquals(2, unhealthy.workerId(), "worker 1 passed its check and stays");
        assertEquals(seen + ", then tcp check failed: connected, but not accepted within 2s", unhealthy.reason());
        assertEquals(List.of(1), router.current());
        expectInAnyOrder(started(3), exited(2)); // no dump signal for this command: SIGTERM at once

        router.unresponsive.accept(2, "reported again"); // once out, further reports change nothing
        router.unresponsive.accept(99, "a worker long gone");
        events.expectNoMessage(Duration.ofMillis(200));
        assertEquals(1, launcher.worker(2).terms.get());
        assertEquals(3, launcher.launched.size());
    }

    /**
     * A worker that fails soon after it became ready (an app that dies or hangs a second after each
     * start; the front sees the dying one refuse before its exit is noticed) is a crash loop: its
     * replacement waits for the backoff, as a crashed worker's would, instead of forking at once.
     */
    @Test
    void aWorkerThatFailsBeforeBackoffResetIsReplacedAfterTheBackoff() {
        health = FakeLauncher.health();
        startReady(2, b -> b.health(CHECKED));
        launcher.worker(1).problem = "connection refused";
        time.timePasses(INTERVAL);
        assertEquals(1, events.expectMessageClass(WorkerUnhealthy.class).workerId());
        assertEquals(List.of(2), router.current());
        events.fishForMessage(Duration.ofSeconds(3), e -> e instanceof WorkerExited x && x.workerId() == 1
                ? FishingOutcomes.complete()
                : FishingOutcomes.continueAndIgnore());
        assertEquals(2, launcher.launched.size(), "no replacement before the backoff");
        time.timePasses(BACKOFF_MIN);
        assertEquals(3, expectStarted(), "the replacement, after the backoff");
    }

    @Test
    void aReplacementThatTurnsUnhealthyAbortsTheReload() {
        health = FakeLauncher.health();
        startReady(2, b -> b.health(new Health(new Health.Check.Tcp(), Duration.ofMinutes(1), Duration.ofSeconds(2), 3)));
        reloadUntilTheFirstReplacementListens();
        launcher.worker(3).problem = "connection refused";
        router.unresponsive.accept(3, "3 request(s) in a row failed, last: connection refused");
        ReloadAborted aborted = events.fishForMessage(Duration.ofSeconds(3), e -> e instanceof ReloadAborted
                ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore())
                .stream().filter(ReloadAborted.class::isInstance).map(ReloadAborted.class::cast).findFirst().orElseThrow();
        assertTrue(aborted.reason().contains("unhealthy"), aborted.reason());
    }

    @Test
    void workersOverTheMemoryLimitAreReplacedOneAtATimeEachReadyReplacementFirst() {
        startReady(2, b -> b.recycle(new RunnerSettings.Recycle(512L << 20, Duration.ZERO))
                .health(new Health(new Health.Check.Off(), INTERVAL, Duration.ofSeconds(1), 3)));
        launcher.worker(1).rss = 600L << 20;
        launcher.worker(2).rss = 700L << 20;
        time.timePasses(INTERVAL);

        WorkerRecycled first = events.expectMessageClass(WorkerRecycled.class);
        assertTrue(first.reason().startsWith("RSS") && first.reason().endsWith("above 512 MiB (max-memory)"),
                first.reason());
        int old = first.workerId();
        assertEquals(3, expectStarted(), "the replacement first");
        assertEquals(List.of(1, 2), router.current(), "both still serve while it starts");
        probeFires();
        launcher.worker(3).becomeReady();
        expectListening(3);
        assertEquals(old, events.expectMessageClass(WorkerDraining.class).workerId());
        // The next recycling starts as soon as the first replacement serves; the old one's exit comes when it comes.
        int other = 3 - old;
        expectInAnyOrder(e -> e instanceof WorkerRecycled r && r.workerId() == other, started(4), exited(old));
        probeFires();
        launcher.worker(4).becomeReady();
        expectListening(4);
        assertEquals(3 - old, events.expectMessageClass(WorkerDraining.class).workerId());
        assertEquals(List.of(3, 4), router.current());
        assertEquals(4, launcher.launched.size());
        assertTrue(launcher.serving() >= 2);
    }

    @Test
    void noWorkerIsRecycledWhileAReloadRunsWhichReplacesThemAll() {
        startReady(2, b -> b.recycle(new RunnerSettings.Recycle(512L << 20, Duration.ZERO))
                .health(new Health(new Health.Check.Off(), INTERVAL, Duration.ofSeconds(1), 3)));
        runner.tell(ActorRunner.Reload.INSTANCE);
        events.expectMessageClass(ReloadStarted.class);
        assertEquals(3, expectStarted());
        launcher.worker(1).rss = 600L << 20; // due while the reload runs
        time.timePasses(INTERVAL);
        events.expectNoMessage(Duration.ofMillis(200)); // no recycling of its own

        launcher.worker(3).becomeReady();
        expectListening(3);
        assertEquals(1, events.expectMessageClass(WorkerDraining.class).workerId());
        expectInAnyOrder(exited(1), started(4));
        probeFires();
        launcher.worker(4).becomeReady();
        expectListening(4);
        assertEquals(2, events.expectMessageClass(WorkerDraining.class).workerId());
        events.expectMessageClass(WorkerExited.class);
        events.expectMessageClass(ReloadCompleted.class);
        events.expectNoMessage(Duration.ofMillis(200));
        assertEquals(4, launcher.launched.size(), "the reload replaced the worker that was due: nothing more");
    }
}
