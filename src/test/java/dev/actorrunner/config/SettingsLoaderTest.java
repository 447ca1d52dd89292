package dev.actorrunner.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.actorrunner.config.RunnerSettings.EnvInherit;
import dev.actorrunner.config.RunnerSettings.PortRange;
import dev.actorrunner.config.RunnerSettings.Readiness;
import dev.actorrunner.config.RunnerSettings.ReloadStrategy;
import dev.actorrunner.fixtures.TestJars;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SettingsLoaderTest {

    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    @TempDir
    Path dir;
    private Path jar;
    private Map<String, String> env;

    @BeforeEach
    void setUp() throws IOException {
        jar = TestJars.withMainClass(dir.resolve("app.jar"), "example.App");
        // A PATH of our own, so that "-- node ..." resolves whether or not node is installed.
        Path bin = Files.createDirectory(dir.resolve("bin"));
        Files.createFile(bin.resolve("node"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        env = new HashMap<>(Map.of("PATH", bin.toString()));
    }

    private SettingsLoader loader() {
        return new SettingsLoader(env);
    }

    private SettingsLoader withApp() {
        return loader().app(jar.toString(), List.of());
    }

    private Path file(String content) throws IOException {
        return Files.writeString(dir.resolve("runner.conf"), content);
    }

    private static List<String> problems(SettingsLoader loader) {
        return assertThrows(InvalidSettingsException.class, loader::load).problems();
    }

    private static void assertOneProblem(String expected, SettingsLoader loader) {
        assertEquals(List.of(expected), problems(loader));
    }

    @Test
    void referenceConfHasTheDefaultsOfTheBuilder() throws Exception {
        RunnerSettings loaded = loader().demo(true).load();
        assertEquals(RunnerSettings.builder(loaded.command()).appName("demo").build(), loaded);
    }

    @Test
    void theExampleConfigFileIsValidAndStatesTheDefaults() throws Exception {
        RunnerSettings loaded = loader().configFile(Path.of("conf/actor-runner.conf")).demo(true).load();
        assertEquals(RunnerSettings.builder(loaded.command()).appName("demo").build(), loaded);
    }

    @Test
    void demoRunsHelloServerOnTheRunnersOwnJavaAndClassPath() throws Exception {
        RunnerSettings s = loader().demo(true).flag("jvm-options", "--jvm-opt", List.of("-Xmx64m")).load();
        assertEquals(List.of(JAVA, "-Xmx64m", "-cp"), s.command().subList(0, 3));
        assertEquals("dev.actorrunner.demo.HelloServer", s.command().get(4));
        List<String> classPath = List.of(s.command().get(3).split(":"));
        assertTrue(classPath.stream().allMatch(entry -> Path.of(entry).isAbsolute()), classPath.toString());
        assertTrue(classPath.contains(Path.of("target/classes").toAbsolutePath().toString()), classPath.toString());
        assertEquals("demo", s.appName());
    }

    @Test
    void appJarRunsOnTheRunnersOwnJavaWithArgsVerbatim() throws Exception {
        RunnerSettings s = loader()
                .flag("jvm-options", "--jvm-opt", List.of("-Xmx256m", "-Dx=y"))
                .app(jar.toString(), List.of("--server.port={port}", "-x", "--"))
                .load();
        assertEquals(List.of(JAVA, "-Xmx256m", "-Dx=y", "-jar", jar.toAbsolutePath().toString(),
                "--server.port={port}", "-x", "--"), s.command());
        assertEquals("app.jar", s.appName());
    }

    @Test
    void commandRunsAsGivenWithoutAShell() throws Exception {
        RunnerSettings s = loader().command(List.of("node", "app.js", "$HOME", "a b")).load();
        assertEquals(List.of("node", "app.js", "$HOME", "a b"), s.command());
        assertEquals("node", s.appName());
    }

    @ParameterizedTest(name = "file {0}, env {1}, flag {2} -> {3}")
    @CsvSource(nullValues = "-", value = {
        "-, -, -, 2",
        "3, -, -, 3",
        "3, 4, -, 4",
        "3, 4, 5, 5",
        "-, -, 5, 5",
        "3, '', -, 3",
    })
    void laterLayersWin(String file, String workerCount, String flag, int expected) throws Exception {
        if (workerCount != null) env.put("WORKER_COUNT", workerCount);
        SettingsLoader loader = withApp().flag("workers", "--workers", flag);
        if (file != null) loader.configFile(file("actor-runner.workers = " + file));
        assertEquals(expected, loader.load().workers());
    }

    @Test
    void eachSettingFollowsThePrecedence() throws Exception {
        RunnerSettings s = withApp().configFile(file("""
                actor-runner {
                  port = 9000
                  kill-timeout = 5s
                  ready = "http:/health"
                  restart.backoff-max = 10s
                }
                """)).flag("port", "--port", "9001").load();
        assertEquals(9001, s.port());
        assertEquals(Duration.ofSeconds(5), s.killTimeout());
        assertEquals(new Readiness.Http("/health"), s.ready());
        assertEquals(Duration.ofSeconds(10), s.backoffMax());
        assertEquals(Duration.ofSeconds(1), s.backoffMin());
    }

    @Test
    void autoIsOneWorkerPerProcessor() throws Exception {
        assertEquals(Runtime.getRuntime().availableProcessors(), withApp().flag("workers", "-w", "auto").load().workers());
        env.put("WORKER_COUNT", "auto");
        assertEquals(Runtime.getRuntime().availableProcessors(), withApp().load().workers());
    }

    @ParameterizedTest
    @CsvSource({"500ms, 500", "60s, 60000", "1.5s, 1500", "2m, 120000", "2 minutes, 120000", "1d, 86400000"})
    void durationsAreHocon(String text, long millis) throws Exception {
        RunnerSettings s = withApp().flag("ready-timeout", "--ready-timeout", text).load();
        assertEquals(Duration.ofMillis(millis), s.readyTimeout());
    }

    @Test
    void everyOtherSettingIsRead() throws Exception {
        RunnerSettings s = withApp().configFile(file("""
                actor-runner {
                  bind = "0.0.0.0"
                  probe-interval = 50ms
                  reload-strategy = stop-first
                  reload-settle = 10s
                  slow-start = 30s
                  ready-owner-check = off
                  port-env = SERVER_PORT
                  boot-failure-limit = 0
                  worker-ports = "21000-21009"
                  restart { backoff-min = 2s, backoff-reset = 5m }
                  pid-file = "%s/runner.pid"
                  env { A = "1", B = 2 }
                }
                """.formatted(dir))).load();
        assertEquals("0.0.0.0", s.bindHost());
        assertEquals(Duration.ofMillis(50), s.probeInterval());
        assertEquals(ReloadStrategy.STOP_FIRST, s.reloadStrategy());
        assertEquals(Duration.ofSeconds(10), s.reloadSettle());
        assertFalse(s.readyOwnerCheck());
        assertTrue(withApp().load().readyOwnerCheck(), "on by default");
        assertEquals(Duration.ZERO, withApp().load().reloadSettle(), "off by default");
        assertEquals(Duration.ZERO, withApp().flag("reload-settle", "--reload-settle", "0s").load().reloadSettle());
        assertEquals(Duration.ofSeconds(30), s.slowStart());
        assertEquals(Duration.ofSeconds(10), withApp().load().slowStart(), "10s by default");
        assertEquals(Duration.ZERO, withApp().flag("slow-start", "--slow-start", "0s").load().slowStart(), "0s: off");
        assertEquals(RunnerSettings.Warmup.OFF, withApp().load().warmup(), "no warm-up by default");
        RunnerSettings.Warmup warmup = withApp().flag("warmup.request", "--warmup", "GET:/warm?x=1")
                .flag("warmup.count", "--warmup-count", "20").flag("warmup.deadline", "--warmup-deadline", "5s").load().warmup();
        assertEquals(new RunnerSettings.Warmup(Optional.of(new RunnerSettings.Warmup.Request("GET", "/warm?x=1")), 20, 4,
                Duration.ofSeconds(5)), warmup);
        assertEquals("SERVER_PORT", s.portEnv());
        assertEquals(0, s.bootFailureLimit());
        assertEquals(new PortRange(21000, 21009), s.workerPorts());
        assertEquals(Duration.ofSeconds(2), s.backoffMin());
        assertEquals(Duration.ofMinutes(5), s.backoffReset());
        assertEquals(dir.resolve("runner.pid"), s.pidFile().orElseThrow());
        assertEquals(Map.of("A", "1", "B", "2"), s.extraEnv());
    }

    @ParameterizedTest
    @CsvSource({"tcp", "none", "http", "'http:/ready?x=1'", "'log:Started .* in \\d+'"})
    void readinessForms(String text) throws Exception {
        Readiness ready = withApp().flag("ready", "--ready", text).load().ready();
        String shown = ready instanceof Readiness.Http h ? "http:" + h.path()
                : ready instanceof Readiness.Log l ? "log:" + l.pattern().pattern()
                : ready instanceof Readiness.None ? "none" : "tcp";
        assertEquals(text.equals("http") ? "http:/" : text, shown);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', value = {
        "all                | all",
        "none               | none",
        "PATH               | PATH",
        "' PATH, HOME ,LC_*'| PATH,HOME,LC_*",
    })
    void envInheritIsAllNoneOrNamesWithCommasOnTheCommandLine(String text, String shown) throws Exception {
        assertEquals(shown, withApp().flag("env-inherit", "--env-inherit", text).load().envInherit().toString());
    }

    @Test
    void strategiesAreNamedAsTheSettingIsWritten() {
        assertEquals("surge", ReloadStrategy.SURGE.setting());
        assertEquals("stop-first", ReloadStrategy.STOP_FIRST.setting());
    }

    @Test
    void envInheritIsAllByDefaultAndAListInTheFile() throws Exception {
        assertEquals(EnvInherit.ALL, withApp().load().envInherit());
        EnvInherit some = withApp().configFile(file("actor-runner.env-inherit = [PATH, \"SPRING_*\"]")).load().envInherit();
        assertEquals(List.of("PATH", "SPRING_*"), some.names());
        assertTrue(some.passes("PATH") && some.passes("SPRING_PROFILES_ACTIVE") && some.passes("SPRING_"));
        assertFalse(some.passes("PATHS") || some.passes("SPRING") || some.passes("path") || some.passes("AWS_SECRET_ACCESS_KEY"));
        assertEquals(EnvInherit.NONE, withApp().configFile(file("actor-runner.env-inherit = []")).load().envInherit());
        assertTrue(EnvInherit.ALL.passes("ANYTHING") && !EnvInherit.NONE.passes("PATH"));
    }

    @Test
    void aBadEnvInheritEntryInAListIsNamed() throws IOException {
        assertOneProblem("config: actor-runner.env-inherit: expected all, none, or a list of variable names"
                        + " (NAME or PREFIX*); \"LC-*\" is neither, got a list",
                withApp().configFile(file("actor-runner.env-inherit = [PATH, \"LC-*\"]")));
    }

    @Test
    void envFlagsAddToTheFilesEnvAndWin() throws Exception {
        RunnerSettings s = withApp().configFile(file("actor-runner.env { A = file, D = 4 }"))
                .flag("env", "--env", List.of("A=flag", "B=x=y", "C=", "a.b=dotted")).load();
        assertEquals(Map.of("A", "flag", "B", "x=y", "C", "", "D", "4", "a.b", "dotted"), s.extraEnv());
    }

    @Test
    void anEnvFlagWithoutNameOrEqualsIsAProblem() {
        assertEquals(List.of("--env: expected NAME=VALUE, got \"NOVALUE\"", "--env: expected NAME=VALUE, got \"=x\""),
                problems(withApp().flag("env", "--env", List.of("NOVALUE", "=x"))));
    }

    @Test
    void aCommandIsLookedUpOnTheEnvsPathWhenItSetsOne() throws Exception {
        Path tools = Files.createDirectory(dir.resolve("tools"));
        Files.createFile(tools.resolve("mytool"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        assertOneProblem("command: mytool: not found on PATH", loader().command(List.of("mytool")));
        RunnerSettings s = loader().command(List.of("mytool")).flag("env", "--env", List.of("PATH=" + tools)).load();
        assertEquals(List.of("mytool"), s.command());
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @CsvSource(delimiter = '|', value = {
        "workers            | --workers            | abc         | --workers: expected a number or \"auto\", got \"abc\"",
        "workers            | --workers            | 0           | --workers: expected a number from 1 to 1024, got \"0\"",
        "workers            | --workers            | 2000        | --workers: expected a number from 1 to 1024, got \"2000\"",
        "port               | --port               | 70000       | --port: expected a number from 0 to 65535, got \"70000\"",
        "port               | --port               | http        | --port: expected a number from 0 to 65535, got \"http\"",
        "bind               | --bind               | ''          | --bind: expected an IP address or host name, like 127.0.0.1, 0.0.0.0, ::1 or localhost, got \"\"",
        "bind               | --bind               | 999.1.1.1   | --bind: expected an IP address or host name, like 127.0.0.1, 0.0.0.0, ::1 or localhost, got \"999.1.1.1\"",
        "metrics            | --metrics            | 1.2.3:9100  | --metrics: expected HOST:PORT, like 127.0.0.1:9100 (an IP address or host name), got \"1.2.3:9100\"",
        "env-inherit        | --env-inherit        | 'PATH;HOME' | --env-inherit: expected all, none, or a list of variable names (NAME or PREFIX*), got \"PATH;HOME\"",
        "env-inherit        | --env-inherit        | '*'         | --env-inherit: expected all, none, or a list of variable names (NAME or PREFIX*), got \"*\"",
        "env-inherit        | --env-inherit        | 'PATH,'     | --env-inherit: expected all, none, or a list of variable names (NAME or PREFIX*), got \"PATH,\"",
        "env-inherit        | --env-inherit        | 'A*B'       | --env-inherit: expected all, none, or a list of variable names (NAME or PREFIX*), got \"A*B\"",
        "ready              | --ready              | grpc        | --ready: expected tcp, http:PATH, log:REGEX or none, got \"grpc\"",
        "ready              | --ready              | http:health | --ready: expected http: followed by a path starting with /, got \"http:health\"",
        "ready              | --ready              | log:(       | --ready: expected log: followed by a valid regular expression (Unclosed group), got \"log:(\"",
        "ready-timeout      | --ready-timeout      | 60          | --ready-timeout: expected a duration with a unit, like 60s or 500ms, got \"60\"",
        "ready-timeout      | --ready-timeout      | soon        | --ready-timeout: expected a duration with a unit, like 60s or 500ms, got \"soon\"",
        "kill-timeout       | --kill-timeout       | 0s          | --kill-timeout: expected a duration above 0 and at most 24d, got \"0s\"",
        "kill-timeout       | --kill-timeout       | -5s         | --kill-timeout: expected a duration above 0 and at most 24d, got \"-5s\"",
        "kill-timeout       | --kill-timeout       | 365d        | --kill-timeout: expected a duration above 0 and at most 24d, got \"365d\"",
        "reload-settle      | --reload-settle      | -1s         | --reload-settle: expected a duration of 0s or more and at most 24d, got \"-1s\"",
        "reload-settle      | --reload-settle      | 10          | --reload-settle: expected a duration with a unit, like 60s or 500ms, got \"10\"",
        "slow-start         | --slow-start         | -1s         | --slow-start: expected a duration of 0s or more and at most 24d, got \"-1s\"",
        "slow-start         | --slow-start         | fast        | --slow-start: expected a duration with a unit, like 60s or 500ms, got \"fast\"",
        "warmup.request     | --warmup             | POST:/x     | --warmup: expected off, or GET: or HEAD: followed by a path starting with /, got \"POST:/x\"",
        "warmup.request     | --warmup             | GET:x       | --warmup: expected off, or GET: or HEAD: followed by a path starting with /, got \"GET:x\"",
        "warmup.count       | --warmup-count       | 0           | --warmup-count: expected a number from 1 to 100000, got \"0\"",
        "warmup.concurrency | --warmup-concurrency | 65          | --warmup-concurrency: expected a number from 1 to 64, got \"65\"",
        "warmup.deadline    | --warmup-deadline    | 0s          | --warmup-deadline: expected a duration above 0 and at most 24d, got \"0s\"",
        "reload-strategy    | --reload-strategy    | rolling     | --reload-strategy: expected \"surge\" or \"stop-first\", got \"rolling\"",
        "port-env           | --port-env           | 1PORT       | --port-env: expected an environment variable name, or \"\" for none, got \"1PORT\"",
        "boot-failure-limit | --boot-failure-limit | -1          | --boot-failure-limit: expected a number of 0 or more, got \"-1\"",
        "restart.backoff-min| --backoff-min        | 1           | --backoff-min: expected a duration with a unit, like 60s or 500ms, got \"1\"",
        "restart.backoff-min| --backoff-min        | 1m          | --backoff-min: is above restart.backoff-max (60s > 30s)",
        "pid-file           | --pid-file           | /no/such/dir/x.pid | --pid-file: /no/such/dir: no such directory",
        "metrics            | --metrics            | 9100        | --metrics: expected HOST:PORT, like 127.0.0.1:9100, got \"9100\"",
        "metrics            | --metrics            | h:99999     | --metrics: expected HOST:PORT, like 127.0.0.1:9100 (a port from 0 to 65535), got \"h:99999\"",
        "log-format         | --log-format         | xml         | --log-format: expected \"text\" or \"json\", got \"xml\"",
        "control-socket     | --control-socket     | /no/such/dir/x.sock | --control-socket: /no/such/dir: no such directory",
        "health.check       | --health             | grpc        | --health: expected auto, off, tcp or http:PATH, got \"grpc\"",
        "health.check       | --health             | http:ping   | --health: expected http: followed by a path starting with /, got \"http:ping\"",
        "health.interval    | --health-interval    | 0s          | --health-interval: expected a duration above 0 and at most 24d, got \"0s\"",
        "health.interval    | --health-interval    | 5           | --health-interval: expected a duration with a unit, like 60s or 500ms, got \"5\"",
        "health.timeout     | --health-timeout     | -1s         | --health-timeout: expected a duration above 0 and at most 24d, got \"-1s\"",
        "health.failures    | --health-failures    | 0           | --health-failures: expected a number from 1 to 100, got \"0\"",
        "health.failures    | --health-failures    | three       | --health-failures: expected a number from 1 to 100, got \"three\"",
        "http.response-timeout | --response-timeout | 0s         | --response-timeout: expected a duration above 0 and at most 24d, got \"0s\"",
        "dump.signal        | --dump-signal        | KILL        | --dump-signal: expected auto, none, QUIT, ABRT, USR1 or USR2, got \"KILL\"",
        "dump.grace         | --dump-grace         | -2s         | --dump-grace: expected a duration of 0s or more and at most 24d, got \"-2s\"",
        "dump.dir           | --dump-dir           | ''          | --dump-dir: expected a directory path, got \"\"",
        "recycle.max-memory | --max-memory         | 512         | --max-memory: expected off, or a size with a unit from 16MiB to 1TiB, like 512MiB or 2GiB, got \"512\"",
        "recycle.max-memory | --max-memory         | 1MiB        | --max-memory: expected off, or a size with a unit from 16MiB to 1TiB, like 512MiB or 2GiB, got \"1MiB\"",
        "recycle.max-memory | --max-memory         | lots        | --max-memory: expected off, or a size with a unit from 16MiB to 1TiB, like 512MiB or 2GiB, got \"lots\"",
        "recycle.max-lifetime | --max-lifetime     | 0s          | --max-lifetime: expected off, or a duration from 1m to 24d, like 24h, got \"0s\"",
        "recycle.max-lifetime | --max-lifetime     | 59s         | --max-lifetime: expected off, or a duration from 1m to 24d, like 24h, got \"59s\"",
        "recycle.max-lifetime | --max-lifetime     | 25d         | --max-lifetime: expected off, or a duration from 1m to 24d, like 24h, got \"25d\"",
        "recycle.max-lifetime | --max-lifetime     | daily       | --max-lifetime: expected off, or a duration with a unit, like 60s or 500ms, got \"daily\"",
    })
    void aBadFlagIsOneProblemNamingTheFlag(String key, String flag, String value, String expected) {
        assertOneProblem(expected, withApp().flag(key, flag, value));
    }

    /** Syntax only: none of these may reach DNS, which can hang for long in a sandbox without one. */
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "127.0.0.1, true", "0.0.0.0, true", "255.255.255.255, true", "::, true", "::1, true", "'[::1]', true",
        "fe80::1, true", "::ffff:127.0.0.1, true", "localhost, true", "my-host.example.com, true",
        "db_1, true", "example.com., true",
        "'', false", "not an address, false", "999.1.1.1, false", "256.0.0.1, false", "1.2.3, false",
        "1.2.3.4.5, false", "123, false", "01.2.3.4, false", "-bad, false", "bad-.example, false",
        "a..b, false", ":::1, false", "'[::1', false", "g::1, false", "1::2::3, false", "host:80, false",
        "'host/x', false",
    })
    void bindHostSyntax(String host, boolean valid) {
        assertEquals(valid, ValueParsers.isHost(host));
    }

    @Test
    void aLabelLongerThan63CharactersIsNoHostName() {
        assertTrue(ValueParsers.isHost("a".repeat(63) + ".example"));
        assertEquals(false, ValueParsers.isHost("a".repeat(64) + ".example"));
    }

    @Test
    void aBlockThatIsNotAnObjectIsOneProblemNotOnePerKeyUnderIt() throws IOException {
        assertOneProblem("config: actor-runner.restart: expected an object with backoff-min, backoff-max and backoff-reset, got 5",
                withApp().configFile(file("actor-runner.restart = 5")));
        assertOneProblem("config: actor-runner.http: expected an object with health-path, forwarded-headers, trust-forwarded, max-initial-line, max-header-size, response-timeout and sniff-timeout, got \"on\"",
                withApp().configFile(file("actor-runner.http = on")));
    }

    @Test
    void autoModeIsTheDefaultAndSniffTimeoutComesFromTheFileOrTheFlag() throws Exception {
        RunnerSettings defaults = withApp().load();
        assertEquals(RunnerSettings.Mode.AUTO, defaults.mode());
        assertEquals(java.time.Duration.ofMillis(500), defaults.http().sniffTimeout());
        assertEquals(RunnerSettings.Mode.TCP, withApp().flag("mode", "--mode", "tcp").load().mode());
        assertEquals(RunnerSettings.Mode.HTTP, withApp().configFile(file("actor-runner.mode = http")).load().mode());
        assertEquals(java.time.Duration.ofSeconds(1),
                withApp().configFile(file("actor-runner.http.sniff-timeout = 1s")).load().http().sniffTimeout());
        assertEquals(java.time.Duration.ofMillis(250), withApp().configFile(file("actor-runner.http.sniff-timeout = 1s"))
                .flag("http.sniff-timeout", "--sniff-timeout", "250ms").load().http().sniffTimeout());
        assertOneProblem("--sniff-timeout: expected a duration above 0 and at most 24d, got \"0s\"",
                withApp().flag("http.sniff-timeout", "--sniff-timeout", "0s"));
    }

    @Test
    void theTransportIsAutoUnlessTheFileNamesOne() throws Exception {
        assertEquals(RunnerSettings.Transport.AUTO, withApp().load().transport());
        assertEquals(RunnerSettings.Transport.IO_URING,
                withApp().configFile(file("actor-runner.transport = io_uring")).load().transport());
        assertEquals(RunnerSettings.Transport.NIO, withApp().configFile(file("actor-runner.transport = nio")).load().transport());
        assertOneProblem("config: actor-runner.transport: expected \"auto\", \"io_uring\", \"epoll\" or \"nio\", got \"uring\"",
                withApp().configFile(file("actor-runner.transport = uring")));
    }

    @Test
    void operationsSettings() throws Exception {
        RunnerSettings defaults = withApp().load();
        assertEquals(new RunnerSettings.ControlSocket.Auto(), defaults.controlSocket());
        assertEquals(java.util.Optional.empty(), defaults.metrics());
        assertEquals(RunnerSettings.LogFormat.TEXT, defaults.logFormat());
        RunnerSettings s = withApp().flag("metrics", "--metrics", "[::1]:0").flag("log-format", "--log-format", "json")
                .flag("control-socket", "--control-socket", dir.resolve("c.sock").toString()).load();
        assertEquals(new RunnerSettings.HostPort("::1", 0), s.metrics().orElseThrow());
        assertEquals("[::1]:0", s.metrics().get().toString());
        assertEquals(RunnerSettings.LogFormat.JSON, s.logFormat());
        assertEquals(new RunnerSettings.ControlSocket.At(dir.resolve("c.sock")), s.controlSocket());
        assertEquals(new RunnerSettings.ControlSocket.Off(),
                withApp().flag("control-socket", "--control-socket", "off").load().controlSocket());
        assertEquals(new RunnerSettings.HostPort("0.0.0.0", 9100),
                withApp().configFile(file("actor-runner.metrics = \"0.0.0.0:9100\"")).load().metrics().orElseThrow());
    }

    @Test
    void aControlSocketPathTooLongForTheKernelIsReported() {
        String longPath = dir.resolve("x".repeat(120) + ".sock").toString();
        List<String> problems = problems(withApp().flag("control-socket", "--control-socket", longPath));
        assertEquals(1, problems.size());
        assertTrue(problems.get(0).contains("too long for a socket path"), problems.get(0));
    }

    @Test
    void aBadWorkerCountInTheEnvironmentNamesTheVariable() {
        env.put("WORKER_COUNT", "abc");
        assertOneProblem("WORKER_COUNT: expected a number or \"auto\", got \"abc\"", withApp());
    }

    @Test
    void everyBadKeyOfTheFileIsReportedAtOnceWithItsPath() throws IOException {
        List<String> problems = problems(withApp().configFile(file("""
                actor-runner {
                  workers = "abc"
                  port = -1
                  kill-timeout = 60
                  wrokers = 3
                  restart { backoff-mni = 1s }
                  jvm-options = "-Xmx1g"
                }
                """)));
        assertEquals(List.of(
                "config: unknown key actor-runner.wrokers",
                "config: unknown key actor-runner.restart.backoff-mni",
                "config: actor-runner.jvm-options: expected a list of strings, got \"-Xmx1g\"",
                "config: actor-runner.workers: expected a number or \"auto\", got \"abc\"",
                "config: actor-runner.port: expected a number from 0 to 65535, got -1",
                "config: actor-runner.kill-timeout: expected a duration with a unit, like 60s or 500ms, got 60"),
                problems);
    }

    @Test
    void settingsOutsideTheActorRunnerBlockAreReported() throws IOException {
        assertOneProblem("config: workers: settings go under actor-runner { }",
                withApp().configFile(file("workers = 3")));
    }

    @Test
    void aMissingConfigFileIsReported() {
        Path missing = dir.resolve("nope.conf");
        assertOneProblem("config: " + missing + ": no such file", withApp().configFile(missing));
    }

    @Test
    void aConfigFileThatIsADirectoryIsReported() {
        assertOneProblem("config: " + dir + ": is a directory", withApp().configFile(dir));
    }

    @Test
    void aConfigFileThatDoesNotParseIsReportedOnOneLine() throws IOException {
        List<String> problems = problems(withApp().configFile(file("actor-runner {\n  workers = 3\n")));
        assertEquals(1, problems.size());
        assertTrue(problems.get(0).startsWith("config: "), problems.get(0));
        assertTrue(problems.get(0).contains("runner.conf"), problems.get(0));
    }

    @Test
    void problemsOfFileAndFlagsAreReportedTogether() throws IOException {
        List<String> problems = problems(withApp().configFile(file("actor-runner.port = x"))
                .flag("workers", "--workers", "many"));
        assertEquals(List.of(
                "--workers: expected a number or \"auto\", got \"many\"",
                "config: actor-runner.port: expected a number from 0 to 65535, got \"x\""), problems);
    }

    @Test
    void aFlagHidesTheFilesValue() throws Exception {
        assertEquals(4, withApp().configFile(file("actor-runner.workers = abc")).flag("workers", "-w", "4").load().workers());
    }

    @Test
    void withoutAnAppNothingCanRun() {
        assertOneProblem("no app: give APP.jar, -- COMMAND, or --demo", loader());
    }

    @Test
    void anAppThatDoesNotExistIsReported() {
        Path missing = dir.resolve("missing.jar");
        assertOneProblem("app: " + missing + ": no such file", loader().app(missing.toString(), List.of()));
    }

    @Test
    void aCommandWithoutDoubleDashGetsAHint() {
        assertOneProblem("app: " + Path.of("node").toAbsolutePath() + ": no such file (to run a command, put -- before it)",
                loader().app("node", List.of("app.js")));
    }

    @Test
    void anAppThatIsADirectoryIsReported() {
        assertOneProblem("app: " + dir + ": is a directory", loader().app(dir.toString(), List.of()));
    }

    @Test
    void anUnreadableAppIsReported() throws IOException {
        Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("-w-------"));
        org.junit.jupiter.api.Assumptions.assumeFalse(Files.isReadable(jar), "root reads everything");
        assertOneProblem("app: " + jar + ": not readable", withApp());
    }

    @Test
    void anAppThatIsNotAJarIsReported() throws IOException {
        Path text = Files.writeString(dir.resolve("text.jar"), "not really a jar");
        assertOneProblem("app: " + text + ": not a jar (not a zip file)", loader().app(text.toString(), List.of()));
        Path empty = Files.createFile(dir.resolve("empty.jar"));
        assertOneProblem("app: " + empty + ": not a jar (an empty file)", loader().app(empty.toString(), List.of()));
    }

    @Test
    void anAppJarWithoutMainClassIsReported() throws IOException {
        Path library = TestJars.withoutMainClass(dir.resolve("lib.jar"));
        assertOneProblem("app: " + library + ": no Main-Class in its manifest (run a class with -- java -cp "
                + library + " MAIN)", loader().app(library.toString(), List.of()));
    }

    @Test
    void anAppThatIsNotARegularFileIsReportedWithoutOpeningIt() {
        assertOneProblem("app: /dev/null: not a regular file", loader().app("/dev/null", List.of()));
    }

    @Test
    void theFilesAppIsCheckedLikeTheCommandLines() throws IOException {
        Path text = Files.writeString(dir.resolve("text.jar"), "not really a jar");
        assertOneProblem("config: actor-runner.app: " + text + ": not a jar (not a zip file)",
                loader().configFile(file("actor-runner.app = \"%s\"".formatted(text))));
    }

    @Test
    void aCommandNotOnThePathIsReported() {
        assertOneProblem("command: nodejs: not found on PATH", loader().command(List.of("nodejs", "app.js")));
    }

    @Test
    void theCommandLinesAppReplacesTheFilesCommandAndArgs() throws Exception {
        RunnerSettings s = withApp().configFile(file("actor-runner.command = [node, x.js]")).load();
        assertEquals(List.of(JAVA, "-jar", jar.toString()), s.command());
    }

    @Test
    void theFilesAppAndArgsAreUsedWithoutAnAppOnTheCommandLine() throws Exception {
        RunnerSettings s = loader().configFile(file("""
                actor-runner { app = "%s", args = ["--server.port={port}"] }
                """.formatted(jar))).load();
        assertEquals(List.of(JAVA, "-jar", jar.toString(), "--server.port={port}"), s.command());
    }

    @Test
    void appAndCommandInOneFileConflict() throws IOException {
        assertOneProblem("config: actor-runner.command: cannot be combined with app: give one of them",
                loader().configFile(file("actor-runner { app = \"%s\", command = [node] }".formatted(jar))));
    }

    @Test
    void jvmOptionsDoNotApplyToACommand() {
        assertOneProblem("--jvm-opt: only applies to an app jar or --demo, not to a command",
                loader().flag("jvm-options", "--jvm-opt", List.of("-Xmx1g")).command(List.of("node", "app.js")));
    }

    @Test
    void demoWithAnAppIsAConflict() {
        assertOneProblem("--demo: cannot be combined with APP.jar", withApp().demo(true));
    }

    @Test
    void demoReplacesTheFilesApp() throws Exception {
        assertEquals("demo", loader().configFile(file("actor-runner.command = [node]")).demo(true).load().appName());
    }

    @Test
    void portThroughArgsOnlyIsFine() throws Exception {
        RunnerSettings s = loader().flag("port-env", "--port-env", "")
                .app(jar.toString(), List.of("--server.port={port}")).load();
        assertEquals("", s.portEnv());
    }

    @Test
    void portThroughJvmOptionsOnlyIsFine() throws Exception {
        RunnerSettings s = withApp().flag("port-env", "--port-env", "")
                .flag("jvm-options", "--jvm-opt", List.of("-Dserver.port={port}")).load();
        assertEquals("", s.portEnv());
    }

    @Test
    void aWorkerMustLearnItsPortSomehow() {
        assertOneProblem("--port-env: is empty and no {port} appears in the command: a worker could not learn its port",
                withApp().flag("port-env", "--port-env", ""));
    }

    @Test
    void workerPortsMustNotHoldThePublicPort() {
        assertOneProblem("config: actor-runner.worker-ports: contains the public port 20005",
                withApp().flag("port", "--port", "20005"));
    }

    @Test
    void workerPortsMustBeARangeInsideTheTcpPorts() throws IOException {
        assertOneProblem("config: actor-runner.worker-ports: expected a port range like \"20000-29999\" inside 1-65535, got \"30000-70000\"",
                withApp().configFile(file("actor-runner.worker-ports = \"30000-70000\"")));
        assertOneProblem("config: actor-runner.worker-ports: has 1 ports, fewer than the 2 workers",
                withApp().configFile(file("actor-runner.worker-ports = \"20000-20000\"")));
    }

    @Test
    void aBadValueIsReportedOnceNotAgainByTheChecksAcrossKeys() throws IOException {
        assertOneProblem("config: actor-runner.worker-ports: expected a port range like \"20000-29999\" inside 1-65535, got \"many\"",
                withApp().flag("port", "--port", "25000").configFile(file("actor-runner.worker-ports = many")));
    }

    @Test
    void envMustHoldStrings() throws IOException {
        assertOneProblem("config: actor-runner.env: expected an object of NAME = \"value\" pairs, got an object",
                withApp().configFile(file("actor-runner.env { A = [1] }")));
    }

    @Test
    void substitutionsResolveAcrossTheFile() throws Exception {
        RunnerSettings s = withApp().configFile(file("""
                base = 9000
                actor-runner.port = ${base}
                """)).load();
        assertEquals(9000, s.port());
    }

    @Test
    void aHostConfigCanBeReadForEmbedding() throws Exception {
        RunnerSettings s = SettingsLoader.fromConfig(ConfigFactory.parseString(
                "actor-runner { workers = 3, app = \"%s\" }".formatted(jar)).withFallback(ConfigFactory.load()));
        assertEquals(3, s.workers());
        assertEquals("app.jar", s.appName());
    }
}
