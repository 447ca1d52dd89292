package dev.actorrunner.supervisor;

import dev.actorrunner.RunnerStatus.State;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;

/**
 * The reload in progress, if any: its generation, the old workers still to replace, and whether
 * another reload was asked for meanwhile (any number of requests coalesce into one).
 */
final class Reloads {
    private final Deque<Integer> queue = new ArrayDeque<>();
    private int generation = 1;
    private boolean running;
    private boolean another;
    private long startedNanos;

    /** Begins the next generation: every active worker of an older one is queued for replacement. */
    int start(List<Entry> active) {
        generation++;
        running = true;
        startedNanos = System.nanoTime();
        queue.clear();
        active.stream().filter(w -> w.generation < generation).forEach(w -> queue.add(w.id));
        return generation;
    }

    boolean running() {
        return running;
    }

    int generation() {
        return generation;
    }

    int remaining() {
        return queue.size();
    }

    /** Removes and returns the next queued worker that is still active. */
    Optional<Entry> pollNext(Workers workers) {
        while (!queue.isEmpty()) {
            Entry w = workers.get(queue.poll());
            if (w != null && (w.state == State.READY || w.state == State.STARTING)) return Optional.of(w);
        }
        return Optional.empty();
    }

    /** A queued worker that died or was scaled away needs no replacement step of its own. */
    void forget(int workerId) {
        queue.remove(workerId);
    }

    void queueAnother() {
        another = true;
    }

    boolean takeQueued() {
        boolean was = another;
        another = false;
        return was;
    }

    Duration complete() {
        running = false;
        return Duration.ofNanos(System.nanoTime() - startedNanos);
    }

    /** Aborted, or overtaken by StopAll: the remaining old workers stay. */
    void abandon() {
        running = false;
        queue.clear();
    }
}
