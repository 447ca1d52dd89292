package dev.actorrunner.supervisor;

import dev.actorrunner.config.RunnerSettings;
import dev.actorrunner.process.LaunchSpec;
import java.util.Optional;
import java.util.regex.Pattern;

/** What the settings make of each worker the Master forks: the process to launch and the worker's timings. */
public final class WorkerSpecs {
    private WorkerSpecs() {}

    public static LaunchSpec launch(RunnerSettings settings, int workerId, int generation) {
        return new LaunchSpec(workerId, generation, settings.command(), settings.portEnv(),
                settings.extraEnv(), settings.envInherit(), readyLine(settings.ready()));
    }

    public static Worker.Timing timing(RunnerSettings settings) {
        return new Worker.Timing(settings.readyTimeout(), settings.probeInterval(),
                settings.drainTimeout(), settings.killTimeout());
    }

    /** Readiness by log line: the launcher watches the worker's output for it. */
    private static Optional<Pattern> readyLine(RunnerSettings.Readiness ready) {
        return ready instanceof RunnerSettings.Readiness.Log log ? Optional.of(log.pattern()) : Optional.empty();
    }
}
