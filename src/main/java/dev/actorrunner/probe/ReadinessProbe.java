package dev.actorrunner.probe;

import dev.actorrunner.process.WorkerProcess;
import java.util.concurrent.CompletionStage;

/**
 * One readiness check of a starting worker. The Worker actor schedules the checks; each check runs
 * off the actor's thread and completes with true once the worker is ready. Never fails: an error
 * is "not ready yet".
 */
@FunctionalInterface
public interface ReadinessProbe {
    CompletionStage<Boolean> check(WorkerProcess process);
}
