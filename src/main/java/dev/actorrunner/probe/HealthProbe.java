package dev.actorrunner.probe;

import dev.actorrunner.process.WorkerProcess;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * One liveness check of a ready worker, run off the actor's thread. Completes with empty when the
 * worker answered as it should, else with what went wrong ("no connection within 2s", "HTTP 503");
 * never fails.
 */
@FunctionalInterface
public interface HealthProbe {
    CompletionStage<Optional<String>> check(WorkerProcess process);
}
