package dev.actorrunner.control;

import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * The runner's own upgrade as the control socket reaches it ({@code actor-runner upgrade}):
 * implemented by the CLI, which owns the process; absent for an embedded runner, whose host does
 * its own handover ({@link dev.actorrunner.ActorRunner#adopt}).
 */
public interface UpgradeControl {

    /**
     * Starts an upgrade ({@code "wait"}: answer at its end; {@code "runner-jar"}: the new runner's
     * jar). {@code progress} takes lines as they come, from any thread; the stage completes with
     * the last answer (exit code 0 done or started, 1 failed, 2 refused), and never hangs: the
     * upgrade has deadlines of its own.
     */
    CompletionStage<FleetControl.Reply> upgrade(Map<String, Object> request, Consumer<String> progress);
}
