package dev.actorrunner.supervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actorrunner.RunnerStatus.State;
import org.junit.jupiter.api.Test;

/** The reload's own bookkeeping, without an actor: which workers it brings, when it is done, who a scale down takes. */
class ReloadsTest {
    private final Workers workers = new Workers();
    private final Reloads reloads = new Reloads();

    private Entry worker(int id, int generation, State state) {
        Entry w = new Entry(id, generation, null, 0);
        workers.add(w);
        workers.setState(w, state);
        return w;
    }

    @Test
    void aReloadIncludesOnlyTheWorkersOfItsGenerationAndOnlyWhileItRuns() {
        Entry old = worker(1, 1, State.READY);
        reloads.start(workers.active());
        Entry fresh = worker(2, 2, State.STARTING);
        assertTrue(reloads.includes(fresh));
        assertFalse(reloads.includes(old));
        reloads.abort("test");
        assertFalse(reloads.includes(fresh));
    }

    @Test
    void aReloadIsDoneOnceEveryOldWorkerLeftNoneSettlesAndTheDesiredNumberAreReadyInIt() {
        Entry old = worker(1, 1, State.READY);
        reloads.start(workers.active());
        Entry fresh = worker(2, 2, State.READY);
        assertFalse(reloads.done(workers, 1, 0), "the old worker is still queued");
        assertEquals(old, reloads.pollNext(workers).orElseThrow());
        workers.setState(old, State.DRAINING);
        assertFalse(reloads.done(workers, 1, 1), "the new worker still settles");
        assertFalse(reloads.done(workers, 2, 0), "fewer ready than desired");
        assertTrue(reloads.done(workers, 1, 0));
        workers.setState(fresh, State.STARTING);
        assertFalse(reloads.done(workers, 1, 0), "an active worker is not ready");
    }

    @Test
    void noReloadRunningIsNeverDone() {
        worker(1, 1, State.READY);
        assertFalse(reloads.done(workers, 1, 0));
    }

    @Test
    void aScaleDownTakesAnOldWorkerStillQueuedAndItNeedsNoReplacementThen() {
        worker(1, 1, State.READY);
        worker(2, 1, State.READY);
        reloads.start(workers.active());
        worker(3, 2, State.STARTING);
        assertEquals(1, reloads.scaleDownVictim(workers).id);
        assertEquals(1, reloads.remaining());
        assertEquals(1, reloads.progress().orElseThrow().toReplace());
    }

    @Test
    void withNothingQueuedAScaleDownTakesTheNewestStartingWorker() {
        worker(1, 1, State.READY);
        worker(2, 1, State.STARTING);
        worker(3, 1, State.STARTING);
        assertEquals(3, reloads.scaleDownVictim(workers).id);
    }
}
