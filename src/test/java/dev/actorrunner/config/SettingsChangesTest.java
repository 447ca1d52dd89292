package dev.actorrunner.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.actorrunner.fixtures.TestJars;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lines a reload prints of what it changes, and what it keeps until a restart. */
class SettingsChangesTest {

    @TempDir
    Path dir;
    private Path conf;

    @BeforeEach
    void setUp() throws IOException {
        TestJars.withMainClass(dir.resolve("app.jar"), "example.App");
        TestJars.withMainClass(dir.resolve("app-2.jar"), "example.App");
        conf = dir.resolve("runner.conf");
    }

    /** Settings as the CLI reads them: this file, with the flags of the start. */
    private RunnerSettings read(String block, String... flagPairs) throws Exception {
        Files.writeString(conf, "actor-runner {\n" + block + "\n}\n");
        SettingsLoader loader = new SettingsLoader(Map.of("PATH", "/usr/bin:/bin")).configFile(conf);
        for (int i = 0; i < flagPairs.length; i += 2) loader.flag(flagPairs[i], "--" + flagPairs[i], flagPairs[i + 1]);
        return loader.load();
    }

    private String app(String name) {
        return "app = \"" + dir.resolve(name) + "\"\n";
    }

    @Test
    void sameSettingsChangeNothing() throws Exception {
        RunnerSettings a = read(app("app.jar") + "jvm-options = [\"-Xmx256m\"]");
        RunnerSettings b = read(app("app.jar") + "jvm-options = [\"-Xmx256m\"]");
        assertEquals(List.of(), SettingsChanges.between(a, b));
        assertEquals(List.of(), SettingsChanges.restartOnly(a, b));
    }

    @Test
    void eachChangedSettingIsOneLineNamedAsInTheFile() throws Exception {
        RunnerSettings a = read(app("app.jar") + """
                jvm-options = ["-Xmx256m"]
                args = ["--a"]
                ready-timeout = 60s
                ready = tcp
                health { interval = 5s }
                recycle { max-memory = 512MiB }
                env { GREETING = hello, KEPT = same, GONE = x }
                env-inherit = all
                """);
        RunnerSettings b = read(app("app-2.jar") + """
                jvm-options = ["-Xmx512m", "-Dmode=blue"]
                args = ["--a"]
                ready-timeout = 90s
                ready = "http:/ready"
                health { interval = 2500ms }
                recycle { max-memory = 1GiB }
                env { GREETING = hi, KEPT = same, NEW = y }
                env-inherit = "HOME,LANG*"
                reload-strategy = stop-first
                restart { backoff-max = 10s }
                slow-start = 20s
                warmup { request = "GET:/warm", count = 50 }
                """);
        assertEquals(List.of(
                "app: " + dir.resolve("app.jar") + " -> " + dir.resolve("app-2.jar"),
                "jvm-options: [-Xmx256m] -> [-Xmx512m, -Dmode=blue]",
                "ready: tcp -> http:/ready",
                "ready-timeout: 60s -> 90s",
                "reload-strategy: surge -> stop-first",
                "restart.backoff-max: 30s -> 10s",
                "env: GONE removed, GREETING changed, NEW added",
                "env-inherit: all -> HOME,LANG*",
                "health.interval: 5s -> 2500ms",
                "recycle.max-memory: 512MiB -> 1GiB",
                "slow-start: 10s -> 20s",
                "warmup.request: off -> GET:/warm",
                "warmup.count: 100 -> 50"), SettingsChanges.between(a, b));
    }

    @Test
    void envValuesAreNeverPrintedTheyMayBeSecrets() throws Exception {
        RunnerSettings a = read(app("app.jar") + "env { DB_PASSWORD = old-secret }");
        RunnerSettings b = read(app("app.jar") + "env { DB_PASSWORD = new-secret }");
        assertEquals(List.of("env: DB_PASSWORD changed"), SettingsChanges.between(a, b));
    }

    @Test
    void theDemosJvmOptionsAreJvmOptions() throws Exception {
        SettingsLoader loader = new SettingsLoader(Map.of()).demo(true);
        RunnerSettings a = loader.flag("jvm-options", "--jvm-opt", List.of("-Xmx64m")).load();
        RunnerSettings b = new SettingsLoader(Map.of()).demo(true).flag("jvm-options", "--jvm-opt", List.of("-Xmx80m")).load();
        assertEquals(List.of("jvm-options: [-Xmx64m] -> [-Xmx80m]"), SettingsChanges.between(a, b));
    }

    @Test
    void aCommandIsComparedWhole() throws Exception {
        RunnerSettings a = read("command = [\"/bin/sh\", \"-c\", \"exec sleep 1\"]");
        RunnerSettings b = read("command = [\"/bin/sh\", \"-c\", \"exec sleep 2\"]");
        assertEquals(List.of("command: [/bin/sh, -c, exec sleep 1] -> [/bin/sh, -c, exec sleep 2]"),
                SettingsChanges.between(a, b));
    }

    @Test
    void restartOnlySettingsAreReportedAndKeptWhatTheNextGenerationRunsWith() throws Exception {
        RunnerSettings running = read(app("app.jar") + "port = 8080\nmode = tcp\nworker-ports = \"20000-20099\"");
        RunnerSettings read = read(app("app.jar") + """
                port = 9090
                bind = "0.0.0.0"
                mode = http
                worker-ports = "21000-21099"
                metrics = "127.0.0.1:9100"
                control-socket = off
                kill-timeout = 5s
                """);
        assertEquals(List.of("bind: 127.0.0.1 -> 0.0.0.0", "port: 8080 -> 9090", "mode: tcp -> http",
                "worker-ports: 20000-20099 -> 21000-21099", "control-socket: auto -> off", "metrics: off -> 127.0.0.1:9100"),
                SettingsChanges.restartOnly(running, read));
        RunnerSettings next = SettingsChanges.nextGeneration(running, read, 3);
        assertEquals(8080, next.port());
        assertEquals("127.0.0.1", next.bindHost());
        assertEquals(RunnerSettings.Mode.TCP, next.mode());
        assertEquals(running.workerPorts(), next.workerPorts());
        assertEquals(running.controlSocket(), next.controlSocket());
        assertEquals(Duration.ofSeconds(5), next.killTimeout(), "a per-generation setting takes the new value");
        assertEquals(3, next.workers());
        assertEquals(List.of("workers: 2 -> 3", "kill-timeout: 60s -> 5s"),
                SettingsChanges.between(running, next), "the kept ones are no change");
    }

    @Test
    void aFlagGivenAtStartStillWinsOverTheFile() throws Exception {
        RunnerSettings a = read(app("app.jar") + "ready-timeout = 60s", "ready-timeout", "5s");
        RunnerSettings b = read(app("app.jar") + "ready-timeout = 90s", "ready-timeout", "5s");
        assertEquals(List.of(), SettingsChanges.between(a, b));
    }

    @Test
    void keysOfComponentsAreTheirKebabCaseNamesUnlessNamedOtherwise() {
        assertEquals("ready-owner-check", SettingsChanges.key("readyOwnerCheck"));
        assertEquals("slow-start", SettingsChanges.key("slowStart"), "a setting added later needs no entry");
        assertEquals("restart.backoff-min", SettingsChanges.key("backoffMin"));
        assertEquals("env", SettingsChanges.key("extraEnv"));
    }
}
