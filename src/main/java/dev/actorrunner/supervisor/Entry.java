package dev.actorrunner.supervisor;

import akka.actor.typed.ActorRef;
import dev.actorrunner.RunnerStatus.State;
import java.time.Instant;

/** The Master's record of one worker. Mutable, and only ever touched by the Master's thread. */
final class Entry {
    final int id;
    final int generation;
    final ActorRef<Worker.Command> ref;
    State state = State.STARTING;
    Instant since = Instant.now();
    long pid = -1;
    int port = -1;

    Entry(int id, int generation, ActorRef<Worker.Command> ref) {
        this.id = id;
        this.generation = generation;
        this.ref = ref;
    }

    /** How every log line names a worker: id, pid and generation. */
    @Override
    public String toString() {
        return "worker " + id + " (pid " + (pid < 0 ? "-" : pid) + ", gen " + generation + ")";
    }
}
