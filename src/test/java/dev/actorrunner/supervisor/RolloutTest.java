package dev.actorrunner.supervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actorrunner.config.RunnerSettings.ReloadStrategy;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** A reload's decisions, without an actor: whom it replaces, when an old worker may stop, when it serves and completes. */
class RolloutTest {
    private final Workers workers = new Workers();
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final Rollout surge = new Rollout(ReloadStrategy.SURGE, Duration.ZERO, nanos::get);

    private Entry worker(int id, int generation, WorkerState state) {
        Entry w = new Entry(id, generation, null, 0);
        workers.add(w);
        workers.setState(w, state);
        return w;
    }

    private List<Integer> ids(List<Entry> entries) {
        return entries.stream().map(w -> w.id).toList();
    }

    @Test
    void aReloadBringsOnlyTheWorkersOfItsGenerationAndOnlyWhileItReplaces() {
        Entry old = worker(1, 1, WorkerState.READY);
        surge.start(workers.active());
        Entry fresh = worker(2, 2, WorkerState.STARTING);
        assertTrue(surge.brings(fresh));
        assertFalse(surge.brings(old));
        surge.abort();
        assertFalse(surge.brings(fresh));
    }

    @Test
    void aReloadServesOnceEveryOldWorkerLeftNoneSettlesAndTheDesiredNumberAreReadyInIt() {
        Rollout r = new Rollout(ReloadStrategy.SURGE, Duration.ofSeconds(5), nanos::get);
        Entry old = worker(1, 1, WorkerState.READY);
        r.start(workers.active());
        Entry fresh = worker(2, 2, WorkerState.READY);
        assertFalse(r.reachedServing(workers, 1), "the old worker is still queued");
        assertEquals(Optional.of(Duration.ofSeconds(5)), r.settleFor(fresh));
        assertEquals(List.of(), r.stopNext(workers, 1), "a settling worker counts as starting");
        assertTrue(r.settled(2));
        assertEquals(List.of(1), ids(r.stopNext(workers, 1)));
        workers.setState(old, WorkerState.DRAINING);
        assertFalse(r.reachedServing(workers, 2), "fewer ready than desired");
        workers.setState(fresh, WorkerState.STARTING);
        assertFalse(r.reachedServing(workers, 1), "an active worker is not ready");
        workers.setState(fresh, WorkerState.READY);
        assertTrue(r.reachedServing(workers, 1));
        assertFalse(r.reachedServing(workers, 1), "said once");
        assertTrue(r.running(), "it serves, but the old worker has not exited");
    }

    @Test
    void aSettlingWorkerHoldsTheServingMomentBack() {
        Rollout r = new Rollout(ReloadStrategy.SURGE, Duration.ofSeconds(5), nanos::get);
        worker(1, 1, WorkerState.READY);
        r.start(workers.active());
        Entry fresh = worker(2, 2, WorkerState.READY);
        r.settleFor(fresh);
        workers.remove(workers.get(1));
        r.left(1);
        assertFalse(r.reachedServing(workers, 1), "the new worker still settles");
        r.settled(2);
        assertTrue(r.reachedServing(workers, 1));
    }

    @Test
    void aReloadCompletesOnlyOnceNoWorkerOfAnOlderGenerationIsLeft() {
        Entry old = worker(1, 1, WorkerState.READY);
        surge.start(workers.active());
        worker(2, 2, WorkerState.READY);
        nanos.addAndGet(2_000_000_000L);
        assertEquals(List.of(1), ids(surge.stopNext(workers, 1)));
        workers.setState(old, WorkerState.DRAINING);
        assertTrue(surge.reachedServing(workers, 1));
        assertEquals(Optional.of(Duration.ofSeconds(2)), surge.servingAfter());
        assertFalse(surge.reachedCompletion(workers), "the old worker still drains");
        workers.setState(old, WorkerState.STOPPING);
        assertFalse(surge.reachedCompletion(workers), "the old worker still exits");
        nanos.addAndGet(1_000_000_000L);
        workers.remove(old);
        assertTrue(surge.reachedCompletion(workers));
        assertFalse(surge.running());
        assertEquals(Duration.ofSeconds(3), surge.elapsed());
        assertEquals(Optional.of(Duration.ofSeconds(2)), surge.servingAfter(), "kept for status after the end");
        assertFalse(surge.reachedCompletion(workers), "said once");
    }

    @Test
    void noReloadRunningNeverServesNorCompletes() {
        worker(1, 1, WorkerState.READY);
        assertFalse(surge.reachedServing(workers, 1));
        assertFalse(surge.reachedCompletion(workers));
        assertFalse(surge.abort());
    }

    @Test
    void surgeLetsAnOldWorkerGoOnlyWhileMoreThanTheDesiredNumberAreReady() {
        worker(1, 1, WorkerState.READY);
        worker(2, 1, WorkerState.READY);
        surge.start(workers.active());
        assertEquals(1, surge.surge(), "one extra worker while old ones are queued");
        assertEquals(List.of(), surge.stopNext(workers, 2), "nothing new is ready yet");
        worker(3, 2, WorkerState.READY);
        assertEquals(List.of(1), ids(surge.stopNext(workers, 2)), "one, and only one, for the one new worker");
        assertEquals(1, surge.replaced());
        assertEquals(2, surge.toReplace());
        assertEquals(1, surge.remaining());
    }

    @Test
    void stopFirstLetsTheFirstOldWorkerGoBeforeAnyReplacementAndThenOneAtATime() {
        Rollout r = new Rollout(ReloadStrategy.STOP_FIRST, Duration.ZERO, nanos::get);
        Entry one = worker(1, 1, WorkerState.READY);
        worker(2, 1, WorkerState.READY);
        r.start(workers.active());
        assertEquals(0, r.surge(), "no worker above the desired count");
        assertEquals(List.of(1), ids(r.stopNext(workers, 2)));
        workers.setState(one, WorkerState.DRAINING);
        Entry three = worker(3, 2, WorkerState.STARTING);
        assertEquals(List.of(), r.stopNext(workers, 2), "its replacement is starting");
        workers.setState(three, WorkerState.READY);
        assertEquals(List.of(2), ids(r.stopNext(workers, 2)));
    }

    @Test
    void aScaleDownTakesAnOldWorkerStillQueuedAndItNeedsNoReplacementThen() {
        worker(1, 1, WorkerState.READY);
        worker(2, 1, WorkerState.READY);
        surge.start(workers.active());
        worker(3, 2, WorkerState.STARTING);
        assertEquals(1, surge.scaleDownVictim(workers).id);
        assertEquals(1, surge.remaining());
        assertEquals(1, surge.toReplace());
    }

    @Test
    void withNothingQueuedAScaleDownTakesTheNewestStartingWorker() {
        worker(1, 1, WorkerState.READY);
        worker(2, 1, WorkerState.STARTING);
        worker(3, 1, WorkerState.STARTING);
        assertEquals(3, surge.scaleDownVictim(workers).id);
    }

    @Test
    void aQueuedWorkerThatDiesNeedsNoStepOfItsOwn() {
        worker(1, 1, WorkerState.READY);
        worker(2, 1, WorkerState.READY);
        surge.start(workers.active());
        surge.left(2);
        assertEquals(1, surge.toReplace());
        assertEquals(1, surge.remaining());
    }

    @Test
    void anAbortClearsTheQueueAndTheOldWorkersStay() {
        worker(1, 1, WorkerState.READY);
        worker(2, 1, WorkerState.READY);
        surge.start(workers.active());
        worker(3, 2, WorkerState.READY);
        worker(4, 2, WorkerState.READY);
        assertTrue(surge.abort());
        assertFalse(surge.running());
        assertEquals(List.of(), surge.stopNext(workers, 2));
        assertEquals(0, surge.surge());
    }

    @Test
    void settleAppliesOnlyToTheReloadsOwnWorkersAndOnlyWhenSet() {
        worker(1, 1, WorkerState.READY);
        Entry booted = worker(2, 1, WorkerState.READY);
        surge.start(workers.active());
        Entry fresh = worker(3, 2, WorkerState.READY);
        assertEquals(Optional.empty(), surge.settleFor(fresh), "reload-settle 0s: no settling");
        Rollout settling = new Rollout(ReloadStrategy.SURGE, Duration.ofSeconds(1), nanos::get);
        settling.start(workers.active());
        Entry next = worker(4, 2, WorkerState.READY);
        assertEquals(Optional.empty(), settling.settleFor(booted), "not one the reload brings");
        assertEquals(Optional.of(Duration.ofSeconds(1)), settling.settleFor(next));
        assertTrue(settling.settled(4));
        assertFalse(settling.settled(4), "once");
    }

    @Test
    void requestsDuringAReloadCoalesceIntoOneMore() {
        worker(1, 1, WorkerState.READY);
        assertEquals(2, surge.start(workers.active()));
        assertFalse(surge.queued());
        surge.queueAnother();
        surge.queueAnother();
        assertTrue(surge.queued());
        assertTrue(surge.takeQueued());
        assertFalse(surge.takeQueued(), "one more, not two");
        assertEquals(3, surge.start(workers.active()));
    }
}
