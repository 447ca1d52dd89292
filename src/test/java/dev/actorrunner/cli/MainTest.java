package dev.actorrunner.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actorrunner.config.RunnerSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.ToIntFunction;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** The command line end to end, with a fake host in place of the ActorSystem and its workers. */
class MainTest {

    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    @TempDir
    Path dir;
    private Path jar;
    private Map<String, String> env;

    /** What a user sees, and the settings the runner would have been given (null if none). */
    private record Run(int code, String out, String err, RunnerSettings settings) {
        List<String> errLines() {
            return err.isEmpty() ? List.of() : List.of(err.split("\n"));
        }
    }

    @BeforeEach
    void setUp() throws IOException {
        jar = Files.writeString(dir.resolve("app.jar"), "not really a jar");
        Path bin = Files.createDirectory(dir.resolve("bin"));
        for (String program : List.of("node", "java")) {
            Files.createFile(bin.resolve(program),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        }
        env = new HashMap<>(Map.of("PATH", bin.toString()));
    }

    private Run run(String... args) {
        return run(settings -> ExitCodes.OK, args);
    }

    private Run run(ToIntFunction<RunnerSettings> host, String... args) {
        AtomicReference<RunnerSettings> given = new AtomicReference<>();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine(new Main(env, settings -> {
            given.set(settings);
            return host.applyAsInt(settings);
        }));
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new Run(code, out.toString(), err.toString().replace("\r", ""), given.get());
    }

    /** "APP" in a test's arguments stands for an app jar that exists. */
    private String[] args(String line) {
        return line.isBlank() ? new String[0]
                : Arrays.stream(line.strip().split(" +")).map(a -> a.replace("APP", jar.toString())).toArray(String[]::new);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', value = {
        "-w abc APP                      | --workers: expected a number or \"auto\", got \"abc\"",
        "--workers=0 APP                 | --workers: expected a number from 1 to 1024, got \"0\"",
        "-p 99999 APP                    | --port: expected a number from 0 to 65535, got \"99999\"",
        "--wrk 3 APP                     | Unknown option: '--wrk'",
        "APP -w                          | -",
        "-w                              | Missing required parameter for option '--workers'",
        "-w 2 -w 3 APP                   | should be specified only once",
        "''                              | no app: give APP.jar, -- COMMAND, or --demo",
        "--                              | no app: give APP.jar, -- COMMAND, or --demo",
        "--demo APP                      | --demo: cannot be combined with APP.jar",
        "--demo -- node app.js           | --demo: cannot be combined with -- COMMAND",
        "--jvm-opt -Xmx1g -- node app.js | --jvm-opt: only applies to an app jar or --demo, not to a command",
        "--port-env= APP                 | --port-env: is empty and no {port} appears in the command",
        "-c /nonexistent/x.conf APP      | config: /nonexistent/x.conf: no such file",
        "/nonexistent/x.jar              | app: /nonexistent/x.jar: no such file",
        "-- nodejs app.js                | command: nodejs: not found on PATH",
        "--ready-timeout 60 APP          | --ready-timeout: expected a duration with a unit, like 60s or 500ms, got \"60\"",
        "--kill-timeout 0s APP           | --kill-timeout: expected a duration above 0",
        "--reload-strategy fast APP      | --reload-strategy: expected \"surge\" or \"stop-first\", got \"fast\"",
        "--ready http:x APP              | --ready: expected http: followed by a path starting with /",
        "--boot-failure-limit x APP      | --boot-failure-limit: expected a number, got \"x\"",
        "--backoff-min 1m APP            | --backoff-min: is above restart.backoff-max (60s > 30s)",
        "--pid-file /nonexistent/x.pid APP | --pid-file: /nonexistent: no such directory",
        "--env FOO APP                   | --env: expected NAME=VALUE, got \"FOO\"",
        "--env-inherit PATH;HOME APP     | --env-inherit: expected all, none, or a list of variable names",
    })
    void aUsageErrorIsOneLineAndExitCodeTwo(String line, String expected) {
        Run run = run(args(line));
        if (expected.equals("-")) { // "APP -w": -w belongs to the app, which is fine
            assertEquals(ExitCodes.OK, run.code(), run.err());
            return;
        }
        assertEquals(ExitCodes.USAGE, run.code());
        assertEquals(1, run.errLines().size(), run.err());
        String error = run.errLines().get(0);
        assertTrue(error.startsWith("actor-runner: "), error);
        assertTrue(error.contains(expected), error);
        assertFalse(error.contains("Exception"), error);
        assertNull(run.settings());
    }

    @Test
    void aBadWorkerCountInTheEnvironmentIsAUsageError() {
        env.put("WORKER_COUNT", "abc");
        Run run = run(jar.toString());
        assertEquals(ExitCodes.USAGE, run.code());
        assertEquals(List.of("actor-runner: WORKER_COUNT: expected a number or \"auto\", got \"abc\""), run.errLines());
    }

    @Test
    void everyBadKeyOfTheConfigFileIsOneLine() throws IOException {
        Path conf = Files.writeString(dir.resolve("runner.conf"), """
                actor-runner {
                  workers = abc
                  wrokers = 3
                  ready-timeout = 10
                }
                """);
        Run run = run("--config", conf.toString(), jar.toString());
        assertEquals(ExitCodes.USAGE, run.code());
        assertEquals(List.of(
                "actor-runner: config: unknown key actor-runner.wrokers",
                "actor-runner: config: actor-runner.workers: expected a number or \"auto\", got \"abc\"",
                "actor-runner: config: actor-runner.ready-timeout: expected a duration with a unit, like 60s or 500ms, got 10"),
                run.errLines());
        assertFalse(run.err().contains("\tat "));
    }

    @Test
    void argumentsAfterTheAppGoToItVerbatim() {
        Run run = run("-w", "3", jar.toString(), "--server.port={port}", "-x", "-w", "@file", "--", "--help");
        assertEquals(ExitCodes.OK, run.code(), run.err());
        assertEquals(List.of(JAVA, "-jar", jar.toString(), "--server.port={port}", "-x", "-w", "@file", "--", "--help"),
                run.settings().command());
        assertEquals(3, run.settings().workers());
    }

    @Test
    void aCommandAfterDoubleDashRunsAsGiven() {
        Run run = run("--", "node", "app.js");
        assertEquals(ExitCodes.OK, run.code(), run.err());
        assertEquals(List.of("node", "app.js"), run.settings().command());
        assertEquals("node", run.settings().appName());
    }

    @Test
    void javaAfterDoubleDashIsACommandNotAnApp() {
        Run run = run("-w", "1", "--", "java", "-jar", "x.jar", "--", "y");
        assertEquals(ExitCodes.OK, run.code(), run.err());
        assertEquals(List.of("java", "-jar", "x.jar", "--", "y"), run.settings().command());
    }

    @Test
    void jvmOptionsGoBeforeTheJar() {
        Run run = run("--jvm-opt", "-Xmx256m", "--jvm-opt", "-parameters", "--jvm-opt=-w", jar.toString());
        assertEquals(ExitCodes.OK, run.code(), run.err());
        assertEquals(List.of(JAVA, "-Xmx256m", "-parameters", "-w", "-jar", jar.toString()), run.settings().command());
    }

    @Test
    void demoRunsTheBuiltInApp() {
        Run run = run("--demo", "-w", "auto", "--ready", "http:/");
        assertEquals(ExitCodes.OK, run.code(), run.err());
        assertEquals("demo", run.settings().appName());
        assertEquals("dev.actorrunner.demo.HelloServer", run.settings().command().get(run.settings().command().size() - 1));
        assertEquals(Runtime.getRuntime().availableProcessors(), run.settings().workers());
    }

    @Test
    void flagsBeatTheEnvironmentWhichBeatsTheFile() throws IOException {
        Path conf = Files.writeString(dir.resolve("runner.conf"), "actor-runner { workers = 3, port = 9000 }");
        env.put("WORKER_COUNT", "4");
        Run run = run("-c", conf.toString(), jar.toString());
        assertEquals(4, run.settings().workers());
        assertEquals(9000, run.settings().port());
        assertEquals(5, run("-c", conf.toString(), "-w", "5", jar.toString()).settings().workers());
    }

    @Test
    void envFlagsReachTheSettingsAndArgumentsAfterTheCommandAreNotTakenForThem() {
        Run run = run("--env", "A=1", "--env", "B=two words", "--env-inherit", "PATH,LC_*",
                "--", "node", "--env", "X=1", "--env-inherit", "none");
        assertEquals(ExitCodes.OK, run.code(), run.err());
        assertEquals(Map.of("A", "1", "B", "two words"), run.settings().extraEnv());
        assertEquals(List.of("PATH", "LC_*"), run.settings().envInherit().names());
        assertEquals(List.of("node", "--env", "X=1", "--env-inherit", "none"), run.settings().command());
    }

    @Test
    void theHostsExitCodeIsTheRunnersExitCode() {
        assertEquals(ExitCodes.BOOT_FAILED, run(settings -> ExitCodes.BOOT_FAILED, jar.toString()).code());
    }

    @Test
    void aSurpriseIsOneLineAndExitCodeOne() {
        Run run = run(settings -> {
            throw new IllegalStateException("boom\nsecond line");
        }, jar.toString());
        assertEquals(ExitCodes.SOFTWARE, run.code());
        assertEquals(List.of("actor-runner: unexpected error: IllegalStateException: boom second line"), run.errLines());
    }

    @Test
    void thePidFileExistsWhileRunningAndIsGoneAfter() {
        Path pidFile = dir.resolve("runner.pid");
        Run run = run(settings -> {
            try {
                return Files.readString(pidFile).equals(ProcessHandle.current().pid() + "\n") ? 42 : 43;
            } catch (IOException e) {
                return 44;
            }
        }, "--pid-file", pidFile.toString(), jar.toString());
        assertEquals(42, run.code(), run.err());
        assertFalse(Files.exists(pidFile));
    }

    @Test
    void aClientSubcommandWithNoRunnerIsOneLineAndExitCodeTwo() {
        Path none = dir.resolve("none.sock");
        for (String[] args : List.of(new String[] {"status", "--control-socket", none.toString()},
                new String[] {"reload", "--wait", "--control-socket", none.toString()},
                new String[] {"scale", "-1", "--control-socket", none.toString()},
                new String[] {"stop", "--control-socket", none.toString()})) {
            Run run = run(args);
            assertEquals(ExitCodes.USAGE, run.code(), run.err());
            assertEquals(List.of("actor-runner: no runner listens on " + none + " (no such socket)"), run.errLines());
            assertNull(run.settings(), "no runner started");
        }
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', value = {
        "scale abc --control-socket /x.sock    | scale: expected a number of workers (1 or more), or +N or -N, got \"abc\"",
        "scale 0 --control-socket /x.sock      | scale: expected a number of workers (1 or more)",
        "-w 3 status --control-socket /x.sock  | --workers: a runner option, not one of status",
        "status --wait                         | Unknown option: '--wait'",
    })
    void aClientUsageErrorIsOneLineAndExitCodeTwo(String line, String expected) {
        Run run = run(args(line));
        assertEquals(ExitCodes.USAGE, run.code(), run.err());
        assertEquals(1, run.errLines().size(), run.err());
        assertTrue(run.errLines().get(0).contains(expected), run.err());
    }

    @Test
    void anAppNamedLikeASubcommandRunsAfterDoubleDashOrWithAPath() throws IOException {
        Files.createFile(dir.resolve("bin").resolve("status"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        Run command = run("--", "status", "--json");
        assertEquals(ExitCodes.OK, command.code(), command.err());
        assertEquals(List.of("status", "--json"), command.settings().command());

        Path jarNamedStatus = Files.writeString(dir.resolve("status"), "a jar without .jar");
        Run app = run(jarNamedStatus.toString()); // ./status in a shell
        assertEquals(ExitCodes.OK, app.code(), app.err());
        assertEquals(List.of(JAVA, "-jar", jarNamedStatus.toString()), app.settings().command());
    }

    @Test
    void argumentsAfterTheAppMayBeSubcommandNames() {
        Run run = run(jar.toString(), "status", "reload");
        assertEquals(ExitCodes.OK, run.code(), run.err());
        assertEquals(List.of(JAVA, "-jar", jar.toString(), "status", "reload"), run.settings().command());
    }

    @Test
    void helpShowsTheUsage() {
        Run run = run("--help");
        assertEquals(ExitCodes.OK, run.code());
        assertTrue(run.out().contains("actor-runner [OPTIONS] APP.jar [APP_ARGS...]"), run.out());
        assertTrue(run.out().contains("--reload-strategy"), run.out());
        assertTrue(run.out().contains("actor-runner status [--json] | reload [--wait] | scale N | stop [--wait]\n"), run.out());
        assertFalse(run.out().contains("WARN"), run.out());
        assertTrue(run.out().contains("--control-socket"), run.out());
        assertNull(run.settings());
    }

    @Test
    void versionComesFromTheBuild() {
        Run run = run("--version");
        assertEquals(ExitCodes.OK, run.code());
        assertTrue(run.out().startsWith("actor-runner "), run.out());
        assertFalse(run.out().contains("${"), run.out());
    }
}
