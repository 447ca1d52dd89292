package dev.actorrunner;

import dev.actorrunner.RunnerEvent.ReloadStep;
import dev.actorrunner.supervisor.Entry;
import dev.actorrunner.supervisor.EventLog;
import dev.actorrunner.supervisor.Human;
import dev.actorrunner.supervisor.Worker;
import dev.actorrunner.supervisor.Wording;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The runner's words. Each method writes one log line (one per item where it reports a list, such
 * as a reload's changes), tagged with its event name (see
 * {@link EventLog}); where subscribers hear of the same thing, it also publishes the matching
 * {@link RunnerEvent}, so that the log and the events always agree. Used on the runner's thread only.
 */
final class Announcer {
    private final EventLog log;
    private final Subscribers subscribers;

    Announcer(EventLog log, Subscribers subscribers) {
        this.log = log;
        this.subscribers = subscribers;
    }

    void starting(int workers, String app, String strategy) {
        log.info("runner.starting", "starting {} worker(s) of {}, reload strategy {}", workers, app, strategy);
    }

    void workerStarted(Entry w) {
        log.info("worker.started", w, "{} started on 127.0.0.1:{}", w, w.port());
        subscribers.publish(new RunnerEvent.WorkerStarted(w.id, w.generation, w.pid(), w.port()));
    }

    void workerListening(Entry w, int ready, int desired) {
        log.info("worker.listening", w, "{} listening on 127.0.0.1:{} ({} of {} ready)", w, w.port(), ready, desired);
        subscribers.publish(new RunnerEvent.WorkerListening(w.id, w.generation, w.pid(), w.port()));
    }

    /** Said before anything reaches the worker, so whoever reads the log never sees the stop first. */
    void workerLeaves(Entry w, boolean wasRouted, int connections) {
        if (wasRouted) {
            log.info("worker.draining", w, "{} leaves rotation: draining {} connection(s)", w, connections);
        } else {
            log.info("worker.stopping", w, "{} leaves rotation: SIGTERM", w);
        }
        subscribers.publish(new RunnerEvent.WorkerDraining(w.id, w.generation, w.pid()));
    }

    void workerUnhealthy(Entry w, String reason, int connections) {
        log.warn("worker.unhealthy", w, "{} leaves rotation, unhealthy: {} ({} connection(s) open); it is stopped"
                + " and replaced", w, reason, connections);
        subscribers.publish(new RunnerEvent.WorkerUnhealthy(w.id, w.generation, w.pid(), reason));
    }

    void workerDue(Entry w, String reason) {
        log.info("worker.due", w, "{} {}: to be recycled", w, reason);
    }

    void workerRecycled(Entry w, String reason) {
        log.info("worker.recycled", w, "{} recycled ({}): its replacement starts, then it drains", w, reason);
        subscribers.publish(new RunnerEvent.WorkerRecycled(w.id, w.generation, w.pid(), reason));
    }

    /** @param description what became of it, as {@link Wording#exit} says it */
    void workerExited(Entry w, Worker.Exited e, String description) {
        boolean expected = e.cause() == Worker.Cause.STOPPED;
        subscribers.publish(new RunnerEvent.WorkerExited(w.id, w.generation, w.pid(), e.status().code(), e.reason(),
                expected));
        if (expected) {
            log.info("worker.exited", w, "{} exited after stop: {}", w, e.reason());
        } else {
            Wording.Line line = Wording.crashed(e);
            log.at(line.level(), "worker.crashed", w, line.format(), w, description);
        }
    }

    void terminating(Entry w, boolean timedOut, int connections, Duration drainTimeout) {
        if (timedOut) {
            log.warn("worker.drain-timeout", w, "{} still has {} connection(s) after {}: SIGTERM", w, connections,
                    Human.duration(drainTimeout));
        } else {
            log.info("worker.drained", w, "{} drained: SIGTERM", w);
        }
    }

    void terminatingUnhealthy(Entry w, int connections) {
        log.warn("worker.unhealthy-stop", w, "{} SIGTERM, not drained: unhealthy, {} connection(s) open", w, connections);
    }

    /** @param delay null when a replacement is already due (its timer forks this one too) */
    void backoff(Entry w, Duration delay, int failuresInRow) {
        if (delay == null) {
            log.warn("worker.backoff", w, "replacing {} with the replacement already due (failure {} in a row)", w,
                    failuresInRow);
        } else {
            log.warn("worker.backoff", w, "replacing {} in {} (failure {} in a row)", w, Human.duration(delay),
                    failuresInRow);
        }
    }

    void stable(int workerId, Duration backoffReset) {
        log.info("worker.stable", "worker {} up for {}: crash backoff reset", workerId, Human.duration(backoffReset));
    }

    void refused(Entry w) {
        log.warn("worker.refused", w, "{} refused a connection; the front retried another worker", w);
    }

    void scaled(int from, int to) {
        log.info("scale", "scale from {} to {} worker(s)", from, to);
    }

    void reloadQueued(int running) {
        log.info("reload.queued", "reload requested during reload {}: one more will follow", running);
    }

    void reloadStarted(int generation, int toReplace, String strategy, List<String> changes,
                       Optional<RunnerStatus.AppJar> jar) {
        log.info("reload.started", "reload {} started: replacing {} worker(s), {}{}", generation, toReplace, strategy,
                changes.isEmpty() ? ", same settings" : "");
        for (String change : changes) log.info("reload.change", "reload {}: {}", generation, change);
        jar.ifPresent(j -> log.info("reload.app", "reload {}: app {}", generation, describe(j)));
        subscribers.publish(new RunnerEvent.ReloadStarted(generation, changes, jar));
    }

    /** The first generation's app jar, once hashed (a command that runs no jar has none). */
    void firstApp(Optional<RunnerStatus.AppJar> jar) {
        jar.ifPresent(j -> log.info("runner.app", "generation 1: app {}", describe(j)));
    }

    /** "/srv/app-1.3.jar sha256 3f7a...", or why it could not be read. */
    static String describe(RunnerStatus.AppJar jar) {
        return jar.path() + (jar.sha256().isEmpty() ? ": " + jar.problem() : " sha256 " + jar.sha256());
    }

    /** Settings a reload read that only a restart applies: one warning each. */
    void restartOnly(List<String> ignored) {
        for (String line : ignored) {
            log.warn("reload.restart-only", "{} (kept: only a restart changes it)", line);
        }
    }

    void reloadRefused(List<String> problems) {
        log.error("reload.refused", "reload refused: the settings have {} problem(s); the workers serve on", problems.size());
        for (String problem : problems) log.error("reload.problem", "{}", problem);
        subscribers.publish(new RunnerEvent.ReloadRefused(problems));
    }

    void reloadStep(ReloadStep step, Entry w) {
        String event = step.kind() == ReloadStep.Kind.SETTLING ? "reload.settling" : "reload.progress";
        log.info(event, w, "reload {}: {}", step.generation(), step.message());
        subscribers.publish(step);
    }

    void reloadServing(int generation, Duration took, int ready, int oldWorkers) {
        log.info("reload.serving", "reload {} serving after {}: {} ready, all of generation {}; {} old worker(s)"
                + " still to exit", generation, Human.duration(took), ready, generation, oldWorkers);
        subscribers.publish(new RunnerEvent.ReloadServing(generation, took, oldWorkers));
    }

    void reloadCompleted(RunnerEvent.ReloadCompleted c, int ready) {
        log.info("reload.completed", "reload {} completed in {} (serving after {}): {} worker(s) replaced, {} ready",
                c.generation(), Human.duration(c.took()), Human.duration(c.serving()), c.replaced(), ready);
        subscribers.publish(c);
    }

    void reloadAborted(int generation, Duration after, String reason, int replaced) {
        log.error("reload.aborted", "reload {} aborted after {}: {}; {} worker(s) replaced, the other workers keep"
                + " serving", generation, Human.duration(after), reason, replaced);
        subscribers.publish(new RunnerEvent.ReloadAborted(generation, reason));
    }

    void bootFailed(String reason) {
        log.error("boot.failed", "boot failed: {}; stopping", reason);
        subscribers.publish(new RunnerEvent.BootFailed(reason));
    }

    void stopping(int workers, Duration killTimeout) {
        log.info("stop.started", "stopping {} worker(s), SIGKILL after {}", workers, Human.duration(killTimeout));
    }

    void killingAll(int workers) {
        log.warn("stop.kill", "second stop request: killing {} worker(s) now", workers);
    }

    void stopped(RunnerEvent.Stopped.Reason reason) {
        log.info("runner.stopped", "all workers stopped");
        subscribers.publish(new RunnerEvent.Stopped(reason));
    }
}
