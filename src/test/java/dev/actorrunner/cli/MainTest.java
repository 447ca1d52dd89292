package dev.actorrunner.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actorrunner.config.RunnerSettings;
import dev.actorrunner.fixtures.TestJars;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.ToIntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
        jar = TestJars.withMainClass(dir.resolve("app.jar"), "example.App");
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

    @Test
    void aReloadReadsTheConfigFileAgainWithTheFlagsOfTheStartStillWinning() throws Exception {
        Path conf = Files.writeString(dir.resolve("runner.conf"),
                "actor-runner { kill-timeout = 10s, drain-timeout = 5s, jvm-options = [\"-Xmx64m\"] }");
        AtomicReference<RunnerSettings> reread = new AtomicReference<>();
        AtomicReference<Exception> refused = new AtomicReference<>();
        CommandLine cli = Main.commandLine(new Main(env, (Main.Host) (settings, again) -> {
            try {
                Files.writeString(conf, "actor-runner { kill-timeout = 20s, drain-timeout = 7s, jvm-options = [\"-Xmx96m\"] }");
                reread.set(again.call());
                Files.writeString(conf, "actor-runner { kill-timeout = soon }");
                again.call();
            } catch (Exception e) {
                refused.set(e);
            }
            return ExitCodes.OK;
        }));
        cli.setErr(new PrintWriter(new StringWriter(), true));
        assertEquals(0, cli.execute("--config", conf.toString(), "--drain-timeout", "3s", jar.toString()));
        assertEquals(java.time.Duration.ofSeconds(20), reread.get().killTimeout(), "the file's new value");
        assertEquals(java.time.Duration.ofSeconds(3), reread.get().drainTimeout(), "the flag still wins");
        assertEquals(List.of(JAVA, "-Xmx96m", "-jar", jar.toString()), reread.get().command());
        assertEquals(List.of("config: actor-runner.kill-timeout: expected a duration with a unit, like 60s or 500ms, got \"soon\""),
                ((dev.actorrunner.config.InvalidSettingsException) refused.get()).problems(), "the lines of a start");
    }

    /**
     * A test's arguments, split at spaces except inside double quotes; {app} stands for an app jar
     * that exists, {dir} for a directory, {text} for a text file named text.jar, {lib} for a jar
     * without Main-Class.
     */
    private String[] args(String line) {
        List<String> args = new ArrayList<>();
        Matcher m = Pattern.compile("\"([^\"]*)\"|(\\S+)").matcher(line);
        while (m.find()) args.add(paths(m.group(1) != null ? m.group(1) : m.group(2)));
        return args.toArray(String[]::new);
    }

    private String paths(String s) {
        return s.replace("{app}", jar.toString()).replace("{dir}", dir.toString())
                .replace("{text}", dir.resolve("text.jar").toString()).replace("{lib}", dir.resolve("lib.jar").toString());
    }

    /**
     * What every bad input must come to: exit code 2, exactly one line on stderr that names the
     * problem, nothing on stdout, no stack trace, and the host never called (nothing started).
     */
    private static void assertRefused(Run run, String expected) {
        assertEquals(ExitCodes.USAGE, run.code(), run.err());
        assertEquals(List.of(CliErrors.PREFIX + expected), run.errLines());
        assertEquals("", run.out());
        assertFalse(run.err().contains("Exception") || run.err().contains("\tat "), run.err());
        assertNull(run.settings(), "nothing started");
    }

    /** Bad input on the command line, one problem each; the config file's own are below. */
    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiterString = "=>", value = {
        // options picocli refuses
        "--wrk 3 {app}                       => Unknown option: '--wrk' (see actor-runner --help)",
        "-w                                  => Missing required parameter for option '--workers' (N|auto) (see actor-runner --help)",
        "-w 2 -w 3 {app}                     => option '--workers' (N|auto) should be specified only once (see actor-runner --help)",
        // what to run
        "''                                  => no app: give APP.jar, -- COMMAND, or --demo",
        "--                                  => no app: give APP.jar, -- COMMAND, or --demo",
        "/nonexistent/x.jar                  => app: /nonexistent/x.jar: no such file",
        "{dir}                               => app: {dir}: is a directory",
        "{text}                              => app: {text}: not a jar (not a zip file)",
        "{lib}                               => app: {lib}: no Main-Class in its manifest (run a class with -- java -cp {lib} MAIN)",
        "/dev/null                           => app: /dev/null: not a regular file",
        "-- nodejs app.js                    => command: nodejs: not found on PATH",
        // conflicting flags
        "--demo {app}                        => --demo: cannot be combined with APP.jar",
        "--demo -- node app.js               => --demo: cannot be combined with -- COMMAND",
        "--jvm-opt -Xmx1g -- node app.js     => --jvm-opt: only applies to an app jar or --demo, not to a command",
        "--port-env= {app}                   => --port-env: is empty and no {port} appears in the command: a worker could not learn its port",
        "--backoff-min 1m {app}              => --backoff-min: is above restart.backoff-max (60s > 30s)",
        // workers
        "-w abc {app}                        => --workers: expected a number or \"auto\", got \"abc\"",
        "--workers=0 {app}                   => --workers: expected a number from 1 to 1024, got \"0\"",
        "-w -1 {app}                         => --workers: expected a number from 1 to 1024, got \"-1\"",
        "-w 100000 {app}                     => --workers: expected a number from 1 to 1024, got \"100000\"",
        // public address (port 0 is allowed: any free port)
        "-p -1 {app}                         => --port: expected a number from 0 to 65535, got \"-1\"",
        "-p 65536 {app}                      => --port: expected a number from 0 to 65535, got \"65536\"",
        "-p http {app}                       => --port: expected a number from 0 to 65535, got \"http\"",
        "--bind \"not an address\" {app}     => --bind: expected an IP address or host name, like 127.0.0.1, 0.0.0.0, ::1 or localhost, got \"not an address\"",
        "--bind 999.1.1.1 {app}              => --bind: expected an IP address or host name, like 127.0.0.1, 0.0.0.0, ::1 or localhost, got \"999.1.1.1\"",
        // durations
        "--ready-timeout 60 {app}            => --ready-timeout: expected a duration with a unit, like 60s or 500ms, got \"60\"",
        "--kill-timeout 5x {app}             => --kill-timeout: expected a duration with a unit, like 60s or 500ms, got \"5x\"",
        "--kill-timeout 0s {app}             => --kill-timeout: expected a duration above 0 and at most 24d, got \"0s\"",
        "--drain-timeout -1s {app}           => --drain-timeout: expected a duration above 0 and at most 24d, got \"-1s\"",
        "--queue-timeout abc {app}           => --queue-timeout: expected a duration with a unit, like 60s or 500ms, got \"abc\"",
        "--sniff-timeout 300 {app}           => --sniff-timeout: expected a duration with a unit, like 60s or 500ms, got \"300\"",
        "--sniff-timeout 0ms {app}           => --sniff-timeout: expected a duration above 0 and at most 24d, got \"0ms\"",
        // words and forms
        "--mode udp {app}                    => --mode: expected \"auto\", \"tcp\" or \"http\", got \"udp\"",
        "--log-format xml {app}              => --log-format: expected \"text\" or \"json\", got \"xml\"",
        "--reload-strategy fast {app}        => --reload-strategy: expected \"surge\" or \"stop-first\", got \"fast\"",
        "--ready http:x {app}                => --ready: expected http: followed by a path starting with /, got \"http:x\"",
        "--ready log:[ {app}                 => --ready: expected log: followed by a valid regular expression (Unclosed character class), got \"log:[\"",
        "--metrics nohost {app}              => --metrics: expected HOST:PORT, like 127.0.0.1:9100, got \"nohost\"",
        "--boot-failure-limit x {app}        => --boot-failure-limit: expected a number of 0 or more, got \"x\"",
        "--port-env 1PORT {app}              => --port-env: expected an environment variable name, or \"\" for none, got \"1PORT\"",
        "--worker-ports 30000-20000 {app}    => --worker-ports: expected a port range like \"20000-29999\" inside 1-65535, got \"30000-20000\"",
        "-p 21005 --worker-ports 21000-21009 {app} => --worker-ports: contains the public port 21005",
        // files and directories
        "-c /nonexistent/x.conf {app}        => config: /nonexistent/x.conf: no such file",
        "-c {dir} {app}                      => config: {dir}: is a directory",
        "--pid-file /nonexistent/x.pid {app} => --pid-file: /nonexistent: no such directory",
        "--control-socket /nonexistent/x.sock {app} => --control-socket: /nonexistent: no such directory",
        // the workers' environment
        "--env FOO {app}                     => --env: expected NAME=VALUE, got \"FOO\"",
        "--env-inherit PATH;HOME {app}       => --env-inherit: expected all, none, or a list of variable names (NAME or PREFIX*), got \"PATH;HOME\"",
        // health, dumps, recycling
        "--health ping {app}                 => --health: expected auto, off, tcp or http:PATH, got \"ping\"",
        "--health-failures 0 {app}           => --health-failures: expected a number from 1 to 100, got \"0\"",
        "--response-timeout 60 {app}         => --response-timeout: expected a duration with a unit, like 60s or 500ms, got \"60\"",
        "--dump-signal TERM {app}            => --dump-signal: expected auto, none, QUIT, ABRT, USR1 or USR2, got \"TERM\"",
        "--max-memory 512 {app}              => --max-memory: expected off, or a size with a unit from 16MiB to 1TiB, like 512MiB or 2GiB, got \"512\"",
        "--max-lifetime forever {app}        => --max-lifetime: expected off, or a duration with a unit, like 60s or 500ms, got \"forever\"",
    })
    void badInputIsOneLineAndExitCodeTwoAndStartsNothing(String line, String expected) throws IOException {
        Files.writeString(dir.resolve("text.jar"), "not really a jar");
        TestJars.withoutMainClass(dir.resolve("lib.jar"));
        assertRefused(run(args(line)), paths(expected));
    }

    @Test
    void anOptionAfterTheAppIsTheApps() {
        Run run = run(jar.toString(), "-w");
        assertEquals(ExitCodes.OK, run.code(), run.err());
        assertEquals(List.of(JAVA, "-jar", jar.toString(), "-w"), run.settings().command());
    }

    @Test
    void aBadWorkerCountInTheEnvironmentIsAUsageError() {
        env.put("WORKER_COUNT", "abc");
        assertRefused(run(jar.toString()), "WORKER_COUNT: expected a number or \"auto\", got \"abc\"");
    }

    /**
     * Bad --config files, one problem each ({file} is the file, {text} a text file named text.jar).
     * Unknown keys are errors, not warnings: a typo must not fall back to a default unnoticed.
     */
    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiterString = "=>", value = {
        // does not parse: the file and the line number, in one line
        "actor-runner {\\n  workers = 2\\n  port =\\n       => {app} => config: {file}: 4: Expecting a value but got wrong token: end of file",
        "actor-runner { workers = 2 }}                     => {app} => config: {file}: 1: unbalanced close brace '}' with no open brace (if you intended '}' to be part of a key or string value, try enclosing the key or value in double quotes)",
        "actor-runner.port = ${nope}                       => {app} => config: {file}: 1: Could not resolve substitution to a value: ${nope}",
        // unknown keys, at any depth, and settings outside the block
        "actor-runner.wrokers = 3                          => {app} => config: unknown key actor-runner.wrokers",
        "actor-runner.restart.backof-min = 1s              => {app} => config: unknown key actor-runner.restart.backof-min",
        "actor-runner.health.intervall = 5s                => {app} => config: unknown key actor-runner.health.intervall",
        "actor-runner.recycle.max-rss = 1GiB               => {app} => config: unknown key actor-runner.recycle.max-rss",
        "workers = 3                                       => {app} => config: workers: settings go under actor-runner { }",
        // values of the wrong type
        "actor-runner = 5                                  => {app} => config: actor-runner: expected an object, got 5",
        "actor-runner.port = [1]                           => {app} => config: actor-runner.port: expected a number from 0 to 65535, got a list",
        "actor-runner.mode = 3                             => {app} => config: actor-runner.mode: expected \"auto\", \"tcp\" or \"http\", got 3",
        "actor-runner.workers = true                       => {app} => config: actor-runner.workers: expected a number or \"auto\", got true",
        "actor-runner.kill-timeout = 60                    => {app} => config: actor-runner.kill-timeout: expected a duration with a unit, like 60s or 500ms, got 60",
        "actor-runner.http.sniff-timeout = soon            => {app} => config: actor-runner.http.sniff-timeout: expected a duration with a unit, like 60s or 500ms, got \"soon\"",
        "actor-runner.jvm-options = \"-Xmx1g\"             => {app} => config: actor-runner.jvm-options: expected a list of strings, got \"-Xmx1g\"",
        "actor-runner.restart = 5                          => {app} => config: actor-runner.restart: expected an object with backoff-min, backoff-max and backoff-reset, got 5",
        "actor-runner.env = [A]                            => {app} => config: actor-runner.env: expected an object of NAME = \"value\" pairs, got a list",
        "actor-runner.health = off                         => {app} => config: actor-runner.health: expected an object with check, interval, timeout and failures, got \"off\"",
        "actor-runner.dump.dir = [a]                       => {app} => config: actor-runner.dump.dir: expected a directory path, got a list",
        // the file's app gets the command line's checks
        "actor-runner.app = \"{text}\"                     => ''    => config: actor-runner.app: {text}: not a jar (not a zip file)",
        "actor-runner { app = \"{app}\", command = [node] } => ''    => config: actor-runner.command: cannot be combined with app: give one of them",
    })
    void aBadConfigFileIsOneLineAndExitCodeTwoAndStartsNothing(String content, String line, String expected)
            throws IOException {
        Files.writeString(dir.resolve("text.jar"), "not really a jar");
        Path file = Files.writeString(dir.resolve("runner.conf"), paths(content.replace("\\n", "\n")));
        List<String> args = new ArrayList<>(List.of("--config", file.toString()));
        args.addAll(List.of(args(line)));
        assertRefused(run(args.toArray(String[]::new)), paths(expected).replace("{file}", file.toString()));
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
    void workerPortsFromTheCommandLineWinOverTheConfigFile() throws IOException {
        Path conf = Files.writeString(dir.resolve("ports.conf"), "actor-runner.worker-ports = \"22000-22009\"\n");
        Run run = run("-c", conf.toString(), "--worker-ports", "21000-21009", "--demo");
        assertEquals(ExitCodes.OK, run.code(), run.err());
        assertEquals(new RunnerSettings.PortRange(21000, 21009), run.settings().workerPorts());
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

        Path jarNamedStatus = TestJars.withMainClass(dir.resolve("status"), "example.App"); // a jar without .jar
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
        assertFalse(run.err().contains("WARN"), run.err()); // picocli's "could not format" for a bare %
        assertTrue(run.out().contains("ramps from 10%"), run.out());
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
