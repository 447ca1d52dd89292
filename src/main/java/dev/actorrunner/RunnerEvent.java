package dev.actorrunner;

import dev.actorrunner.supervisor.Human;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * What a runner tells its subscribers ({@link ActorRunner.Subscribe}), in the order it happens.
 *
 * <p>Each worker, identified by {@code workerId} (never reused within a runner), goes through
 * {@link WorkerStarted}, {@link WorkerListening} if it became ready, {@link WorkerDraining} if the
 * runner chose to stop it, and always ends with {@link WorkerExited}; a worker that could not be
 * started at all has only WorkerExited, with pid -1. A reload is {@link ReloadStarted}, its
 * workers' events with a {@link ReloadStep} for each step, {@link ReloadServing} once every worker
 * in rotation is new, then {@link ReloadCompleted} once every old worker has exited; or, before it
 * serves, {@link ReloadAborted}. {@link Stopped}
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
     * A worker failed its liveness checks ({@code reason}: which check, how many times, what the
     * last said) and left rotation; its threads are dumped, then it is stopped and replaced.
     */
    record WorkerUnhealthy(int workerId, int generation, long pid, String reason) implements RunnerEvent {}

    /** A worker reached a limit ({@code reason}: max-memory or max-lifetime) and is being replaced. */
    record WorkerRecycled(int workerId, int generation, long pid, String reason) implements RunnerEvent {}

    /**
     * A worker process ended. {@code expected} is true when the runner had asked it to stop;
     * {@code description} reads "exit code 1" or "signal 9 (KILL)". A worker that could not even be
     * started has pid -1.
     */
    record WorkerExited(int workerId, int generation, long pid, int exitCode, String description,
                        boolean expected) implements RunnerEvent {}

    /**
     * A rolling reload to {@code generation} began; {@code changes} are the settings it changes,
     * one line each ({@code "jvm-options: [-Xmx256m] -> [-Xmx512m]"}), empty when it runs the same
     * settings; {@code app} is the app jar it runs, as hashed when it began (empty for a command).
     */
    record ReloadStarted(int generation, List<String> changes, Optional<RunnerStatus.AppJar> app) implements RunnerEvent {
        public ReloadStarted {
            changes = List.copyOf(changes);
            app = app == null ? Optional.empty() : app;
        }

        /** The first shape of this event (kept for source compatibility): nothing changed, no jar known. */
        public ReloadStarted(int generation) {
            this(generation, List.of(), Optional.empty());
        }
    }

    /**
     * A reload was asked for but its settings could not be had ({@code problems}, one line each,
     * as at start); nothing was forked and the workers serve on. Not a generation: the next reload
     * gets the number this one would have had.
     */
    record ReloadRefused(List<String> problems) implements RunnerEvent {
        public ReloadRefused {
            problems = List.copyOf(problems);
        }
    }

    /**
     * A step of reload {@code generation}, in the words of the runner's log line ({@link #message()}):
     * worker {@code workerId} of the new generation became ready ({@code READY}) or stayed ready for
     * reload-settle ({@code SETTLED}) and the old workers {@code draining} left rotation for it; or it
     * became ready and must now settle for {@code settle} ({@code SETTLING}); or, with stop-first,
     * old workers left rotation before any replacement started ({@code DRAINING}, workerId 0).
     *
     * @param up       time from the new worker's fork to this step (zero for DRAINING)
     * @param settle   reload-settle (zero unless SETTLING)
     * @param replaced old workers that have left rotation so far, of {@code toReplace}
     */
    record ReloadStep(int generation, Kind kind, int workerId, Duration up, Duration settle,
                      List<Integer> draining, int replaced, int toReplace) implements RunnerEvent {
        public enum Kind { READY, SETTLING, SETTLED, DRAINING }

        public ReloadStep {
            draining = List.copyOf(draining);
        }

        /** "worker 5 ready in 2.1s, draining worker 2 (1 of 2 replaced)", as the log says it. */
        public String message() {
            String drains = draining.stream().map(id -> "draining worker " + id).collect(Collectors.joining(", "));
            String count = " (" + replaced + " of " + toReplace + " replaced)";
            return switch (kind) {
                case READY -> "worker " + workerId + " ready in " + Human.duration(up) + (drains.isEmpty() ? "" : ", " + drains) + count;
                case SETTLING -> "worker " + workerId + " ready in " + Human.duration(up) + ", settling for " + Human.duration(settle);
                case SETTLED -> "worker " + workerId + " settled, up " + Human.duration(up) + (drains.isEmpty() ? "" : ", " + drains) + count;
                case DRAINING -> drains + count;
            };
        }
    }

    /**
     * Every worker in rotation belongs to {@code generation}, at least the desired number, and no
     * old worker is left in rotation, {@code took} after the reload started; {@code oldWorkers} old
     * workers are still draining or exiting ({@link ReloadCompleted} follows when they are gone).
     */
    record ReloadServing(int generation, Duration took, int oldWorkers) implements RunnerEvent {}

    /**
     * The reload is over: every worker belongs to {@code generation} or a later one, and every worker
     * of an older generation has exited, {@code took} after the reload started ({@code serving}
     * after it started, the new workers were all serving). {@code replaced}: old workers replaced.
     */
    record ReloadCompleted(int generation, Duration took, Duration serving, int replaced) implements RunnerEvent {
        /** The first shape of this event (kept for source compatibility): serving unknown, nothing counted. */
        public ReloadCompleted(int generation, Duration took) {
            this(generation, took, took, 0);
        }
    }

    /** A replacement failed before the reload was serving; the remaining old workers keep serving. */
    record ReloadAborted(int generation, String reason) implements RunnerEvent {}

    /** No worker ever became ready and the app failed boot-failure-limit times in a row. */
    record BootFailed(String reason) implements RunnerEvent {}

    /** Every worker is gone and the runner actor stops right after this event. */
    record Stopped(Reason reason) implements RunnerEvent {
        /** REQUESTED: by StopAll (or the host's shutdown); BOOT_FAILED: after {@link BootFailed}. */
        public enum Reason { REQUESTED, BOOT_FAILED }
    }
}
