package dev.actorrunner;

import java.time.Duration;

/**
 * What a runner tells its subscribers ({@link ActorRunner.Subscribe}), in the order it happens.
 *
 * <p>Each worker, identified by {@code workerId} (never reused within a runner), goes through
 * {@link WorkerStarted}, {@link WorkerListening} if it became ready, {@link WorkerDraining} if the
 * runner chose to stop it, and always ends with {@link WorkerExited}; a worker that could not be
 * started at all has only WorkerExited, with pid -1. A reload is {@link ReloadStarted} followed,
 * after its workers' events, by {@link ReloadCompleted} or {@link ReloadAborted}. {@link Stopped}
 * is the last event of a runner that ended normally; a runner actor that failed sends nothing more
 * (watch it to learn that).
 */
public sealed interface RunnerEvent {

    /** A worker process was started on its private port; not yet ready. */
    record WorkerStarted(int workerId, int generation, long pid, int port) implements RunnerEvent {}

    /** A worker passed its readiness probe and is in rotation ("listening"). */
    record WorkerListening(int workerId, int generation, long pid, int port) implements RunnerEvent {}

    /** A worker left rotation to be stopped (reload, scale down or stop). */
    record WorkerDraining(int workerId, int generation, long pid) implements RunnerEvent {}

    /**
     * A worker process ended. {@code expected} is true when the runner had asked it to stop;
     * {@code description} reads "exit code 1" or "signal 9 (KILL)". A worker that could not even be
     * started has pid -1.
     */
    record WorkerExited(int workerId, int generation, long pid, int exitCode, String description,
                        boolean expected) implements RunnerEvent {}

    /** A rolling reload to {@code generation} began. */
    record ReloadStarted(int generation) implements RunnerEvent {}

    /** Every worker now belongs to {@code generation}. */
    record ReloadCompleted(int generation, Duration took) implements RunnerEvent {}

    /** A replacement failed; the remaining old workers keep serving. */
    record ReloadAborted(int generation, String reason) implements RunnerEvent {}

    /** No worker ever became ready and the app failed boot-failure-limit times in a row. */
    record BootFailed(String reason) implements RunnerEvent {}

    /** Every worker is gone and the runner actor stops right after this event. */
    record Stopped(Reason reason) implements RunnerEvent {
        /** REQUESTED: by StopAll (or the host's shutdown); BOOT_FAILED: after {@link BootFailed}. */
        public enum Reason { REQUESTED, BOOT_FAILED }
    }
}
