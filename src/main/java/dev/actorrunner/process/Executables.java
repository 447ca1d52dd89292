package dev.actorrunner.process;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds a worker's executable before it is spawned. Needed because behind the setsid/setpriv
 * wrapper a missing command no longer fails {@code ProcessBuilder.start()}: the wrapper starts
 * fine and exits 127 a moment later, which would read as a crash instead of a user error.
 */
final class Executables {

    private Executables() {}

    /**
     * The path to execute for {@code command}: itself when it names a file (it contains a slash),
     * otherwise its first executable match on {@code path} (searched as execvp would; see
     * {@link WorkerEnvironment#lookupPath} for which PATH). Throws a one-line {@link LaunchException} in the words of execvp's errors.
     */
    static String resolve(String command, String path) {
        if (command.isEmpty()) throw failure(command, "empty command");
        if (command.indexOf('/') >= 0) {
            Path file = Path.of(command);
            String problem = problem(file);
            if (problem != null) throw failure(command, problem);
            return command;
        }
        String firstProblem = "No such file or directory";
        for (String dir : (path == null ? "" : path).split(File.pathSeparator, -1)) {
            Path file = Path.of(dir.isEmpty() ? "." : dir).resolve(command);
            String problem = problem(file);
            if (problem == null) return file.toAbsolutePath().toString();
            if (!problem.startsWith("No such")) firstProblem = problem;
        }
        throw failure(command, firstProblem);
    }

    private static String problem(Path file) {
        if (!Files.exists(file)) return "No such file or directory";
        if (Files.isDirectory(file)) return "Is a directory";
        if (!Files.isExecutable(file)) return "Permission denied";
        return null;
    }

    private static LaunchException failure(String command, String problem) {
        return new LaunchException("cannot start \"" + command + "\": " + problem, null);
    }
}
