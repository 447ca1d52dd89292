package dev.actorrunner.supervisor;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;

/**
 * Recycling, decided without timers or I/O: the workers that reached a limit (max-memory,
 * max-lifetime) wait in line, and one at a time is replaced as a reload replaces one: its
 * replacement is forked first (one worker above the desired count), and it leaves rotation once
 * more than the desired number are ready. Never while a reload runs: a reload replaces them all.
 */
public final class Recycling {
    private final Deque<Integer> due = new ArrayDeque<>();
    /** The worker being replaced now, or -1. */
    private int replacing = -1;

    /** {@code workerId} reached a limit: it is replaced in its turn. */
    public void due(int workerId) {
        if (workerId != replacing && !due.contains(workerId)) due.add(workerId);
    }

    /**
     * The worker whose replacement starts now, if none is being replaced, no reload runs and one
     * is due that is still ready. The caller forks (see {@link #surge()}).
     */
    public Optional<Entry> start(Workers workers, boolean reloading) {
        if (replacing >= 0 || reloading) return Optional.empty();
        while (!due.isEmpty()) {
            Entry w = workers.get(due.poll());
            if (w != null && w.state == WorkerState.READY) {
                replacing = w.id;
                return Optional.of(w);
            }
        }
        return Optional.empty();
    }

    /** One worker above the desired count while a replacement is on its way. */
    public int surge() {
        return replacing >= 0 ? 1 : 0;
    }

    /**
     * A worker became ready: the one being replaced leaves now if more than {@code desired} are
     * ready. The caller retires it.
     */
    public Optional<Entry> stopNext(Workers workers, int desired) {
        if (replacing < 0) return Optional.empty();
        Entry old = workers.get(replacing);
        if (old == null || old.state != WorkerState.READY) {
            replacing = -1;
            return Optional.empty();
        }
        if (!Plan.mayStopNext(dev.actorrunner.config.RunnerSettings.ReloadStrategy.SURGE, desired,
                workers.count(WorkerState.READY), workers.count(WorkerState.STARTING), 0)) {
            return Optional.empty();
        }
        replacing = -1;
        return Optional.of(old);
    }

    /** A worker left rotation or exited: it is due no more, and if it was being replaced, that is over. */
    public void left(int workerId) {
        due.remove(workerId);
        if (workerId == replacing) replacing = -1;
    }

    /** A reload began: it replaces every worker, due or not. */
    public void reloadStarted() {
        due.clear();
        replacing = -1;
    }

    /** The worker being replaced now, or -1. */
    public int replacing() {
        return replacing;
    }
}
