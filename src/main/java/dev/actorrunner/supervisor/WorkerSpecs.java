package dev.actorrunner.supervisor;

import dev.actorrunner.config.RunnerSettings;
import dev.actorrunner.probe.HealthProbe;
import dev.actorrunner.probe.Probes;
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

    /** What a ready worker is watched for, and what it is sent before a SIGKILL; {@code health} null for no checks. */
    public static Worker.Watch watch(RunnerSettings settings, HealthProbe health) {
        RunnerSettings.Health h = settings.health();
        return new Worker.Watch(health, Probes.describe(settings.liveness()), h.interval(), h.failures(),
                settings.dumps().signalFor(settings.command()), settings.dumps().grace(), settings.dumps().dir(),
                settings.recycle().maxMemoryBytes(), settings.recycle().maxLifetime());
    }

    /** Readiness by log line: the launcher watches the worker's output for it. */
    private static Optional<Pattern> readyLine(RunnerSettings.Readiness ready) {
        return ready instanceof RunnerSettings.Readiness.Log log ? Optional.of(log.pattern()) : Optional.empty();
    }
}
