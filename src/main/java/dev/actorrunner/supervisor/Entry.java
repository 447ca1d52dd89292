package dev.actorrunner.supervisor;

import akka.actor.typed.ActorRef;
import java.time.Duration;
import java.time.Instant;

/** The runner's record of one worker. Mutable, and only ever touched by the runner's thread. */
public final class Entry {
    public final int id;
    public final int generation;
    public final ActorRef<Worker.Command> ref;
    /** Crashed workers before this one in its line (0 for one forked at boot, by a scale up or a reload). */
    public final int restarts;
    private final long forkedNanos = System.nanoTime();
    WorkerState state = WorkerState.STARTING;
    Instant since = Instant.now();
    private Instant startedAt;
    private long pid = -1;
    private int port = -1;
    private boolean refused;
    /** The limit it reached, when it is due for recycling. */
    private String due;

    public Entry(int id, int generation, ActorRef<Worker.Command> ref, int restarts) {
        this.id = id;
        this.generation = generation;
        this.ref = ref;
        this.restarts = restarts;
    }

    /** Its process runs: from now on the log names its pid. */
    public void started(long pid, int port) {
        this.pid = pid;
        this.port = port;
        this.startedAt = Instant.now();
    }

    public WorkerState state() {
        return state;
    }

    /** When it entered its current state. */
    public Instant since() {
        return since;
    }

    /** When its process started; null until then. */
    public Instant startedAt() {
        return startedAt;
    }

    /** -1 until its process has started. */
    public long pid() {
        return pid;
    }

    /** -1 until its process has started. */
    public int port() {
        return port;
    }

    /** Time since the fork (for "ready in 2.1s"). */
    public Duration age() {
        return Duration.ofNanos(System.nanoTime() - forkedNanos);
    }

    /** It reached a recycling limit: {@code reason} says which. */
    public void due(String reason) {
        due = reason;
    }

    /** The recycling limit it reached, or null. */
    public String due() {
        return due;
    }

    /**
     * True the first time the front reports this worker refused a connection: it is logged once, as a
     * dead worker refuses until its exit is seen, which is soon.
     */
    public boolean firstRefusal() {
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
