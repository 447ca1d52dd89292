package dev.actorrunner.supervisor;

import dev.actorrunner.RunnerStatus;
import dev.actorrunner.RunnerStatus.State;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;

/**
 * The reload in progress, if any: its generation, the old workers still to replace, and whether
 * another reload was asked for meanwhile (any number of requests coalesce into one). Also what
 * status shows of reloads: the progress of this one, how the last one ended, and the totals.
 */
final class Reloads {
    private final Deque<Integer> queue = new ArrayDeque<>();
    private int generation = 1;
    private boolean running;
    private boolean another;
    private long startedNanos;
    private Instant startedAt;
    private int toReplace;
    private int replaced;
    private int started;
    private int completed;
    private int aborted;
    private Optional<RunnerStatus.ReloadResult> last = Optional.empty();

    /** Begins the next generation: every active worker of an older one is queued for replacement. */
    int start(List<Entry> active) {
        generation++;
        running = true;
        started++;
        startedNanos = System.nanoTime();
        startedAt = Instant.now();
        queue.clear();
        active.stream().filter(w -> w.generation < generation).forEach(w -> queue.add(w.id));
        toReplace = queue.size();
        replaced = 0;
        return generation;
    }

    boolean running() {
        return running;
    }

    int generation() {
        return generation;
    }

    /** True when {@code w} belongs to the running reload's generation: a worker forked since it began. */
    boolean includes(Entry w) {
        return running && w.generation == generation;
    }

    int remaining() {
        return queue.size();
    }

    /** Old workers that left rotation for this reload so far. */
    int replaced() {
        return replaced;
    }

    /** How long the current (or last) reload has taken. */
    Duration elapsed() {
        return Duration.ofNanos(System.nanoTime() - startedNanos);
    }

    /** StopNext: removes and returns the next queued worker that is still active; it is being replaced. */
    Optional<Entry> pollNext(Workers workers) {
        Optional<Entry> next = poll(workers);
        next.ifPresent(w -> replaced++);
        return next;
    }

    /**
     * Scale down: who leaves. An old worker still queued for replacement is the cheapest one to lose,
     * and it then needs no replacement; else {@link Workers#scaleDownVictim}.
     */
    Entry scaleDownVictim(Workers workers) {
        Optional<Entry> queued = poll(workers);
        queued.ifPresent(w -> toReplace--);
        Entry victim = queued.orElseGet(workers::scaleDownVictim);
        forget(victim.id);
        return victim;
    }

    private Optional<Entry> poll(Workers workers) {
        while (!queue.isEmpty()) {
            Entry w = workers.get(queue.poll());
            if (w != null && (w.state == State.READY || w.state == State.STARTING)) return Optional.of(w);
        }
        return Optional.empty();
    }

    /** A queued worker that died or was scaled away needs no replacement step of its own. */
    void forget(int workerId) {
        if (queue.remove(workerId)) toReplace--;
    }

    void queueAnother() {
        another = true;
    }

    boolean queued() {
        return another;
    }

    boolean takeQueued() {
        boolean was = another;
        another = false;
        return was;
    }

    /**
     * The running reload is complete: no old worker left to replace, no new one still settling
     * ({@code settling}), and at least {@code desired} ready, every active one of this generation.
     */
    boolean done(Workers workers, int desired, int settling) {
        return running && queue.isEmpty() && settling == 0 && workers.allReadyIn(generation)
                && workers.count(State.READY) >= desired;
    }

    Duration complete() {
        running = false;
        completed++;
        Duration took = elapsed();
        last = Optional.of(new RunnerStatus.ReloadResult(generation, true, Instant.now(), took, replaced, ""));
        return took;
    }

    /** A replacement failed, or a stop overtook the reload: the remaining old workers stay. */
    void abort(String reason) {
        if (!running) return;
        running = false;
        aborted++;
        queue.clear();
        last = Optional.of(new RunnerStatus.ReloadResult(generation, false, Instant.now(), elapsed(), replaced,
                reason));
    }

    Optional<RunnerStatus.ReloadProgress> progress() {
        return running ? Optional.of(new RunnerStatus.ReloadProgress(generation, startedAt, toReplace, replaced))
                : Optional.empty();
    }

    Optional<RunnerStatus.ReloadResult> last() {
        return last;
    }

    RunnerStatus.ReloadTotals totals() {
        return new RunnerStatus.ReloadTotals(started, completed, aborted);
    }
}
