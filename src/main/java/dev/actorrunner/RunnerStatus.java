package dev.actorrunner;

import java.time.Instant;
import java.util.List;

/**
 * A snapshot of a runner, the answer to {@link ActorRunner.GetStatus}. {@code crashes} counts the
 * workers that died without being asked to since the runner started.
 */
public record RunnerStatus(
        String app,
        int desiredWorkers,
        int generation,
        boolean reloading,
        boolean stopping,
        int crashes,
        List<Worker> workers) {

    public RunnerStatus {
        workers = List.copyOf(workers);
    }

    /** Workers in rotation. */
    public long readyCount() {
        return workers.stream().filter(w -> w.state() == State.READY).count();
    }

    /** One worker; pid and port are -1 until its process has started. */
    public record Worker(int id, int generation, long pid, int port, State state, Instant since) {}

    /** starting: forked, not yet ready; ready: in rotation; draining: out of rotation, finishing;
     *  stopping: sent SIGTERM, waiting for exit. */
    public enum State { STARTING, READY, DRAINING, STOPPING }
}
