package dev.actorrunner.supervisor;

import akka.actor.typed.ActorRef;
import dev.actorrunner.RunnerStatus.State;
import java.time.Duration;
import java.time.Instant;

/** The Master's record of one worker. Mutable, and only ever touched by the Master's thread. */
final class Entry {
    final int id;
    final int generation;
    final ActorRef<Worker.Command> ref;
    /** Crashed workers before this one in its line (see {@link dev.actorrunner.RunnerStatus.Worker}). */
    final int restarts;
    private final long forkedNanos = System.nanoTime();
    State state = State.STARTING;
    Instant since = Instant.now();
    Instant startedAt;
    long pid = -1;
    int port = -1;
    private boolean refused;

    Entry(int id, int generation, ActorRef<Worker.Command> ref, int restarts) {
        this.id = id;
        this.generation = generation;
        this.ref = ref;
        this.restarts = restarts;
    }

    /** Time since the fork (for "ready in 2.1s"). */
    Duration age() {
        return Duration.ofNanos(System.nanoTime() - forkedNanos);
    }

    /**
     * True the first time the front reports this worker refused a connection: it is logged once, as a
     * dead worker refuses until its exit is seen, which is soon.
     */
    boolean firstRefusal() {
        boolean first = !refused;
        refused = true;
        return first;
    }

    /** How every log line names a worker: id, pid and generation. */
    @Override
    public String toString() {
        return "worker " + id + " (pid " + (pid < 0 ? "-" : pid) + ", gen " + generation + ")";
    }
}
