package dev.actorrunner.process;

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
 * @param portEnv    environment variable that receives the private port
 * @param extraEnv   variables added to the runner's environment
 * @param readyLine  when present, {@link WorkerProcess#readyLine()} completes on the first output
 *                   line that matches it
 */
public record LaunchSpec(
        int workerId,
        int generation,
        List<String> command,
        String portEnv,
        Map<String, String> extraEnv,
        Optional<Pattern> readyLine) {

    public LaunchSpec {
        command = List.copyOf(command);
        Objects.requireNonNull(portEnv, "portEnv");
        extraEnv = Map.copyOf(extraEnv);
        Objects.requireNonNull(readyLine, "readyLine");
    }
}
