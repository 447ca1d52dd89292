package dev.actorrunner.supervisor;

import dev.actorrunner.config.RunnerSettings.ReloadStrategy;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * Everything a rolling reload decides, with no timers and no I/O: which old workers it replaces
 * and in what order, which new worker still settles, when the next old worker may stop, when every
 * new worker serves, and when the reload is over. The runner actor asks, carries out the answer
 * (retires workers, starts the settle timer, logs and publishes) and reports what happened.
 *
 * <p>A reload replaces, then serves, then completes; or it is aborted while it replaces:
 * <ul>
 * <li>replacing: the old workers are queued; each leaves rotation when {@link Plan#mayStopNext}
 * allows (surge: once a replacement is ready, and with reload-settle once it stayed ready that
 * long);</li>
 * <li>serving: no old worker is left in rotation, and every active worker, at least the desired
 * number, is of the new generation and ready. The old workers may still be draining;</li>
 * <li>completed: no worker of an older generation is left at all (as {@code kubectl rollout
 * status} waits for the old replicas to terminate), so a deploy may remove the old release.</li>
 * </ul>
 * One reload runs at a time, from start to completion; reloads asked for meanwhile coalesce into
 * one more, which starts when this one completes or is aborted.
 */
public final class Rollout {
    private enum Phase { IDLE, REPLACING, SERVING }

    private ReloadStrategy strategy;
    private Duration settle;
    private final LongSupplier nanoTime;
    private final Deque<Integer> queue = new ArrayDeque<>();
    /** New workers of the reload that are ready but have not yet stayed ready for reload-settle. */
    private final Set<Integer> settling = new HashSet<>();
    private Phase phase = Phase.IDLE;
    private int generation = 1;
    private boolean another;
    private long startedNanos;
    /** Start to serving, once the running (or last) reload got there. */
    private Optional<Duration> servingAfter = Optional.empty();
    private Instant startedAt;
    private int toReplace;
    private int replaced;

    /** @param nanoTime the clock durations are measured on ({@code System::nanoTime}) */
    public Rollout(ReloadStrategy strategy, Duration settle, LongSupplier nanoTime) {
        this.strategy = strategy;
        this.settle = settle;
        this.nanoTime = nanoTime;
    }

    /**
     * The strategy and reload-settle of the reloads from the next {@link #start} on (a reload that
     * brings new settings brings these too); the running reload keeps its own.
     */
    public void use(ReloadStrategy strategy, Duration settle) {
        if (running()) throw new IllegalStateException("a reload runs");
        this.strategy = strategy;
        this.settle = settle;
    }

    /** Begins the next generation: every active worker of an older one is queued for replacement. */
    public int start(List<Entry> active) {
        generation++;
        phase = Phase.REPLACING;
        startedNanos = nanoTime.getAsLong();
        startedAt = Instant.now();
        servingAfter = Optional.empty();
        queue.clear();
        settling.clear();
        active.stream().filter(w -> w.generation < generation).forEach(w -> queue.add(w.id));
        toReplace = queue.size();
        replaced = 0;
        return generation;
    }

    /** How long a new worker of a reload serves before an old one stops for it (reload-settle, or slow start if longer). */
    public Duration settle() {
        return settle;
    }

    /** From start to completion (or abort). */
    public boolean running() {
        return phase != Phase.IDLE;
    }

    /** Past the serving moment: only the old workers' exits are awaited. */
    public boolean serving() {
        return phase == Phase.SERVING;
    }

    /** The newest generation: that of the running reload, or of the last one. */
    public int generation() {
        return generation;
    }

    /** True when {@code w} is one the reload brings: forked in its generation while it still replaces. */
    public boolean brings(Entry w) {
        return phase == Phase.REPLACING && w.generation == generation;
    }

    /** Extra workers allowed above the desired count now (see {@link Plan#surge}). */
    public int surge() {
        return Plan.surge(strategy, phase == Phase.REPLACING && !queue.isEmpty());
    }

    /**
     * {@code w} became ready: how long it must serve before an old worker stops for it, or empty
     * when an old worker may stop for it now. The caller starts the timer and reports {@link #settled}.
     */
    public Optional<Duration> settleFor(Entry w) {
        if (!brings(w) || settle.isZero()) return Optional.empty();
        settling.add(w.id);
        return Optional.of(settle);
    }

    /** The settle timer of a worker fired: true if it still settled, so that an old worker may now stop for it. */
    public boolean settled(int workerId) {
        return settling.remove(workerId);
    }

    /**
     * StopNext: the old workers that may leave rotation now, in queue order, while the strategy
     * allows (each counts as replaced). The caller retires them.
     */
    public List<Entry> stopNext(Workers workers, int desired) {
        List<Entry> next = new ArrayList<>(1);
        int ready = workers.count(WorkerState.READY);
        int starting = workers.count(WorkerState.STARTING);
        while (phase == Phase.REPLACING && Plan.mayStopNext(strategy, desired, ready, starting, settling.size())) {
            Optional<Entry> w = poll(workers);
            if (w.isEmpty()) break;
            if (w.get().state == WorkerState.READY) ready--; else starting--;
            replaced++;
            next.add(w.get());
        }
        return next;
    }

    /**
     * Scale down: who leaves. An old worker still queued for replacement is the cheapest one to lose,
     * and it then needs no replacement; else {@link Workers#scaleDownVictim}.
     */
    public Entry scaleDownVictim(Workers workers) {
        Optional<Entry> queued = poll(workers);
        queued.ifPresent(w -> toReplace--);
        Entry victim = queued.orElseGet(workers::scaleDownVictim);
        left(victim.id);
        return victim;
    }

    private Optional<Entry> poll(Workers workers) {
        while (!queue.isEmpty()) {
            Entry w = workers.get(queue.poll());
            if (w != null && (w.state == WorkerState.READY || w.state == WorkerState.STARTING)) return Optional.of(w);
        }
        return Optional.empty();
    }

    /** A worker left rotation or exited: it settles no more, and a queued one needs no step of its own. */
    public void left(int workerId) {
        settling.remove(workerId);
        if (queue.remove(workerId)) toReplace--;
    }

    /**
     * True once, at the serving moment: no old worker left to replace, none settling, and at least
     * {@code desired} ready, every active one of this generation.
     */
    public boolean reachedServing(Workers workers, int desired) {
        if (phase != Phase.REPLACING || !queue.isEmpty() || !settling.isEmpty() || !workers.allReadyIn(generation)
                || workers.count(WorkerState.READY) < desired) {
            return false;
        }
        phase = Phase.SERVING;
        servingAfter = Optional.of(elapsed());
        return true;
    }

    /** True once, when the reload is serving and no worker of an older generation is left. */
    public boolean reachedCompletion(Workers workers) {
        if (phase != Phase.SERVING || workers.olderThan(generation) > 0) return false;
        phase = Phase.IDLE;
        return true;
    }

    /**
     * A new worker failed before the reload served ({@link #brings} it), or a stop overtook the
     * reload: the remaining old workers stay. False when no reload was running.
     */
    public boolean abort() {
        if (phase == Phase.IDLE) return false;
        phase = Phase.IDLE;
        queue.clear();
        settling.clear();
        return true;
    }

    public void queueAnother() {
        another = true;
    }

    /** A reload was asked for during this one and will follow it. */
    public boolean queued() {
        return another;
    }

    /** True, once, if another reload was queued: the caller starts it. */
    public boolean takeQueued() {
        boolean was = another;
        another = false;
        return was;
    }

    /** Old workers queued at the start (less those that died or were scaled away). */
    public int toReplace() {
        return toReplace;
    }

    /** Old workers that left rotation for this reload so far. */
    public int replaced() {
        return replaced;
    }

    /** Old workers still queued. */
    public int remaining() {
        return queue.size();
    }

    /** How long the running (or last) reload has taken. */
    public Duration elapsed() {
        return Duration.ofNanos(nanoTime.getAsLong() - startedNanos);
    }

    /** From the start to the serving moment, once reached. */
    public Optional<Duration> servingAfter() {
        return servingAfter;
    }

    /** When the running (or last) reload started. */
    public Instant startedAt() {
        return startedAt;
    }
}
