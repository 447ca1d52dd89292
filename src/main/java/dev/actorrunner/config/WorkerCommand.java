package dev.actorrunner.config;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import java.util.zip.ZipException;

/**
 * What each worker runs: an app jar or the built-in demo on the runner's own java, or any command
 * exactly as given. Never a shell, so the argv reaches the process unchanged and no quoting or
 * globbing can surprise anyone.
 *
 * @param appName a short name for logs: the jar's file name, the command's, or "demo"
 * @param argv    the worker's argv, {@code {port}} still in place
 */
record WorkerCommand(String appName, List<String> argv) {

    static final String DEMO_MAIN_CLASS = "dev.actorrunner.demo.HelloServer";

    /**
     * Reads app, args, command and jvm-options; reports conflicts and an app or command that
     * cannot be run. Empty when something is wrong (the problem is already recorded).
     *
     * @param demo    --demo was given; the loader has already dropped app and command of the
     *                config file, so any left here come from the command line
     * @param pathEnv the PATH the launcher will search for a bare command name (env { PATH } if
     *                set, else the runner's)
     */
    static Optional<WorkerCommand> resolve(SettingsReader r, boolean demo, String pathEnv, List<String> problems) {
        List<String> jvmOptions = r.strings("jvm-options");
        if (jvmOptions.stream().anyMatch(String::isBlank)) r.problem("jvm-options", "contains an empty option");
        Optional<String> app = r.optionalString("app");
        Optional<List<String>> command = r.optionalStrings("command");
        List<String> args = r.strings("args");

        if (demo && (app.isPresent() || command.isPresent())) {
            problems.add("--demo: cannot be combined with " + (app.isPresent() ? "APP.jar" : "-- COMMAND"));
            return Optional.empty();
        }
        if (demo) {
            return Optional.of(java("demo", jvmOptions, List.of("-cp", ownClassPath(), DEMO_MAIN_CLASS)));
        }
        if (app.isPresent() && command.isPresent()) {
            r.problem("command", "cannot be combined with app: give one of them");
            return Optional.empty();
        }
        if (command.isPresent()) return command(r, command.get(), args, jvmOptions, pathEnv);
        if (app.isPresent()) return app(r, app.get(), args, jvmOptions);
        problems.add("no app: give APP.jar, -- COMMAND, or --demo");
        return Optional.empty();
    }

    private static Optional<WorkerCommand> app(SettingsReader r, String app, List<String> args, List<String> jvmOptions) {
        Path jar;
        try {
            jar = Path.of(app).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            r.problem("app", "not a file path: \"" + app + "\"");
            return Optional.empty();
        }
        if (!Files.exists(jar)) {
            // "actor-runner node app.js" is a likely slip: point at the form for commands.
            String hint = app.endsWith(".jar") ? "" : " (to run a command, put -- before it)";
            r.problem("app", jar + ": no such file" + hint);
        } else if (Files.isDirectory(jar)) {
            r.problem("app", jar + ": is a directory");
        } else if (!Files.isRegularFile(jar)) {
            r.problem("app", jar + ": not a regular file"); // a FIFO would block the check below
        } else if (!Files.isReadable(jar)) {
            r.problem("app", jar + ": not readable");
        } else {
            notAnApp(jar).ifPresent(why -> r.problem("app", jar + ": " + why));
        }
        List<String> tail = new ArrayList<>(List.of("-jar", jar.toString()));
        tail.addAll(args);
        return Optional.of(java(jar.getFileName().toString(), jvmOptions, tail));
    }

    /**
     * What {@code java -jar} would refuse, found before anything starts: otherwise every worker
     * fails at boot ("Invalid or corrupt jarfile", "no main manifest attribute") and the runner
     * ends with exit code 3 after boot-failure-limit launches, not with one line and exit code 2.
     * Only the manifest is read: a Main-Class that is missing from the jar may still come from
     * its Class-Path, so that is left to the launch.
     */
    private static Optional<String> notAnApp(Path jar) {
        try {
            if (Files.size(jar) == 0) return Optional.of("not a jar (an empty file)");
        } catch (IOException e) {
            return Optional.of("cannot be read (" + e.getMessage() + ")");
        }
        // verify = false: signatures are checked by java when it runs the jar, not here.
        try (JarFile file = new JarFile(jar.toFile(), false)) {
            Manifest manifest = file.getManifest();
            String main = manifest == null ? null : manifest.getMainAttributes().getValue(Attributes.Name.MAIN_CLASS);
            if (main == null || main.isBlank()) {
                return Optional.of("no Main-Class in its manifest (run a class with -- java -cp " + jar + " MAIN)");
            }
            return Optional.empty();
        } catch (ZipException e) {
            return Optional.of("not a jar (not a zip file)");
        } catch (IOException e) {
            return Optional.of("not a jar (" + e.getMessage() + ")");
        }
    }

    private static Optional<WorkerCommand> command(SettingsReader r, List<String> command, List<String> args,
                                                   List<String> jvmOptions, String pathEnv) {
        if (command.isEmpty() || command.get(0).isBlank()) {
            r.problem("command", "expected a program and its arguments, got an empty command");
            return Optional.empty();
        }
        if (!args.isEmpty()) r.problem("args", "only applies to app: put the arguments in command");
        if (!jvmOptions.isEmpty()) r.problem("jvm-options", "only applies to an app jar or --demo, not to a command");
        String program = command.get(0);
        notRunnable(program, pathEnv).ifPresent(why -> r.problem("command", program + ": " + why));
        String name = program.contains("/") ? Path.of(program).getFileName().toString() : program;
        return Optional.of(new WorkerCommand(name, command));
    }

    /** Caught here rather than after boot-failure-limit failed launches with backoff in between. */
    private static Optional<String> notRunnable(String program, String pathEnv) {
        if (program.contains("/")) {
            Path p = Path.of(program);
            if (!Files.exists(p)) return Optional.of("no such file");
            if (Files.isDirectory(p)) return Optional.of("is a directory");
            if (!Files.isExecutable(p)) return Optional.of("not executable");
            return Optional.empty();
        }
        if (pathEnv == null) return Optional.empty(); // nothing to check against; let the launch tell
        for (String dir : pathEnv.split(File.pathSeparator, -1)) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, program);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) return Optional.empty();
        }
        return Optional.of("not found on PATH");
    }

    /** Absolute, so that a worker started in another directory still finds the classes. */
    private static String ownClassPath() {
        // -1 keeps a trailing empty entry, which means the working directory.
        return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator, -1))
                .map(entry -> Path.of(entry).toAbsolutePath().toString())
                .collect(Collectors.joining(File.pathSeparator));
    }

    private static WorkerCommand java(String appName, List<String> jvmOptions, List<String> tail) {
        List<String> argv = new ArrayList<>();
        argv.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        argv.addAll(jvmOptions);
        argv.addAll(tail);
        return new WorkerCommand(appName, List.copyOf(argv));
    }
}
