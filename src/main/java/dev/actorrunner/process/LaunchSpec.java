package dev.actorrunner.process;

import dev.actorrunner.config.RunnerSettings.EnvInherit;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What to start for one worker.
 *
 * @param workerId   the runner's id of the worker (for log lines)
 * @param generation the reload generation it belongs to (for log lines)
 * @param command    argv; the launcher replaces {@code {port}} in every element by the private port
 * @param portEnv    environment variable that receives the private port ("" for none)
 * @param extraEnv   variables set in the worker's environment, over inherited ones
 * @param envInherit which of the runner's own variables the worker inherits
 * @param readyLine  when present, {@link WorkerProcess#readyLine()} completes on the first output
 *                   line that matches it
 */
public record LaunchSpec(
        int workerId,
        int generation,
        List<String> command,
        String portEnv,
        Map<String, String> extraEnv,
        EnvInherit envInherit,
        Optional<Pattern> readyLine) {

    public LaunchSpec {
        command = List.copyOf(command);
        Objects.requireNonNull(portEnv, "portEnv");
        extraEnv = Map.copyOf(extraEnv);
        Objects.requireNonNull(envInherit, "envInherit");
        Objects.requireNonNull(readyLine, "readyLine");
    }

    /** A worker that inherits the runner's whole environment (the default). */
    public LaunchSpec(int workerId, int generation, List<String> command, String portEnv,
                      Map<String, String> extraEnv, Optional<Pattern> readyLine) {
        this(workerId, generation, command, portEnv, extraEnv, EnvInherit.ALL, readyLine);
    }
}
