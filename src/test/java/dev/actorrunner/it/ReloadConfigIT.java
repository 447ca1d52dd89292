package dev.actorrunner.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actorrunner.cli.Cli;
import dev.actorrunner.control.Json;
import dev.actorrunner.fixtures.Reaper;
import dev.actorrunner.fixtures.TestJars;
import dev.actorrunner.it.RunnerProcess.Worker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real runner whose {@code --config} file changes between reloads: the new workers run what the
 * file now says, a file with problems refuses the reload and the old workers serve on.
 */
class ReloadConfigIT {
    /** Generous: several JVMs start at once on a loaded 2-core machine. */
    private static final Duration BOOT = Duration.ofSeconds(60);

    @TempDir
    Path dir;
    @RegisterExtension
    final Reaper reaper = new Reaper();
    private Path jar;
    private Path conf;

    @BeforeEach
    void setUp() throws IOException {
        // The fixture app as an app jar, so that jvm-options apply (they do not to a command).
        jar = TestJars.withMainClass(dir.resolve("app.jar"), "dev.actorrunner.fixtures.FixtureApp",
                Path.of("target", "test-classes"));
        conf = dir.resolve("runner.conf");
    }

    private void writeConf(String greeting, String jvmOptions, String extra) throws IOException {
        Files.writeString(conf, """
                actor-runner {
                  app = "%s"
                  args = ["serve-showing", "GREETING", "color"]
                  jvm-options = [%s]
                  env { GREETING = "%s" }
                  %s
                }
                """.formatted(jar, jvmOptions, greeting, extra));
    }

    private RunnerProcess runner() throws IOException {
        RunnerProcess r = RunnerProcess.start(List.of("-p", "0", "-w", "2", "--config", conf.toString(),
                "--control-socket", socket().toString(), "--kill-timeout", "20s"));
        reaper.closeLater(r);
        return r;
    }

    private Path socket() {
        return dir.resolve("c.sock");
    }

    private Cli.Result cli(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--control-socket", socket().toString()));
        return Cli.run(Map.of(), all.toArray(String[]::new));
    }

    private static long count(String text, String part) {
        return text.lines().filter(l -> l.contains(part)).count();
    }

    @Test
    void aReloadRunsTheNewEnvAndJvmOptionsOfTheFileAndSaysWhatChanged() throws Exception {
        writeConf("hello", "\"-Xmx64m\", \"-Dcolor=blue\"", "");
        RunnerProcess r = runner();
        Set<Long> before = r.awaitInRotation(2, BOOT).stream().map(Worker::pid).collect(Collectors.toSet());
        r.await(() -> count(r.output(), "showing GREETING=hello color=blue") == 2, BOOT, "both workers to show the start's values");

        writeConf("hi", "\"-Xmx96m\", \"-Dcolor=green\"", "restart { backoff-max = 10s }\nmode = http");
        Cli.Result reload = cli("reload", "--wait");
        assertEquals(0, reload.code(), reload.out() + reload.err());
        List<String> out = reload.outLines();
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(jar)));
        assertEquals("reload 2 started: replacing 2 worker(s)", out.get(0));
        assertEquals(List.of("jvm-options: [-Xmx64m, -Dcolor=blue] -> [-Xmx96m, -Dcolor=green]",
                "restart.backoff-max: 30s -> 10s", "env: GREETING changed",
                "app jar " + jar.toRealPath() + " sha256 " + sha), out.subList(1, 5));
        assertTrue(out.get(out.size() - 1).startsWith("reload 2 completed in"), out.toString());

        // The new workers see the new values, the log names each change, and the port stays.
        r.await(() -> count(r.output(), "showing GREETING=hi color=green") == 2, BOOT, "both new workers to show the new values");
        String log = r.output();
        assertTrue(log.contains("reload 2: jvm-options: [-Xmx64m, -Dcolor=blue] -> [-Xmx96m, -Dcolor=green]"), log);
        assertTrue(log.contains("reload 2: env: GREETING changed"), log);
        assertTrue(log.contains("mode: auto -> http (kept: only a restart changes it)"), log);
        assertFalse(log.contains("GREETING changed (hi"), "env values are not logged");
        Set<Long> after = r.inRotation().stream().map(Worker::pid).collect(Collectors.toSet());
        assertTrue(after.stream().noneMatch(before::contains), after + " vs " + before);
        assertTrue(Http.get(r.publicPort(BOOT)).startsWith("hello from pid"), "served on the port it started with");

        // Status shows each generation's jar and hash: here the same, as the deploy did not swap it.
        Cli.Result status = cli("status", "--json");
        assertEquals(0, status.code(), status.err());
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> generations = (List<Map<String, Object>>) ((Map<String, Object>) Json.parse(
                status.out().strip())).get("generations");
        Map<String, Object> newest = generations.get(generations.size() - 1);
        assertEquals(2L, newest.get("generation"));
        assertEquals(jar.toRealPath().toString(), newest.get("jar"));
        assertEquals(sha, newest.get("sha256"));
        Cli.Result table = cli("status");
        assertTrue(table.out().contains("generation 2: " + jar.toRealPath() + " sha256 " + sha), table.out());
    }

    @Test
    void aBrokenFileIsRefusedWithTheErrorsOfAStartAndTheOldWorkersServeOn() throws Exception {
        writeConf("hello", "\"-Xmx64m\"", "");
        RunnerProcess r = runner();
        Set<Long> before = r.awaitInRotation(2, BOOT).stream().map(Worker::pid).collect(Collectors.toSet());
        int port = r.publicPort(BOOT);

        refused(r, "ready-timeout = soon", before, port);      // an invalid value
        refused(r, "workers = }", before, port);                // a syntax error

        writeConf("fixed", "\"-Xmx64m\"", "");
        Cli.Result fixed = cli("reload", "--wait");
        assertEquals(0, fixed.code(), fixed.out() + fixed.err());
        assertTrue(fixed.outLines().contains("env: GREETING changed"), fixed.out());
        r.await(() -> count(r.output(), "showing GREETING=fixed") == 2, BOOT, "the fixed file's workers");
    }

    /** The file with {@code broken} in its block refuses a reload: exit 1, the start's error lines, no fork. */
    private void refused(RunnerProcess r, String broken, Set<Long> serving, int port) throws Exception {
        writeConf("broken", "\"-Xmx64m\"", broken);
        // What a start with this file says, on stderr, one line per problem.
        Cli.Result start = Cli.run(Map.of(), "--config", conf.toString());
        assertEquals(2, start.code(), start.err());
        List<String> startErrors = List.of(start.err().split("\n"));

        Cli.Result reload = cli("reload", "--wait");
        assertEquals(1, reload.code(), reload.out() + reload.err());
        List<String> errors = List.of(reload.err().split("\n"));
        assertEquals(startErrors, errors.subList(0, errors.size() - 1), "the same lines as at start");
        assertEquals("actor-runner: reload refused: nothing was started, the workers serve on", errors.get(errors.size() - 1));
        assertEquals(List.of(), reload.outLines());

        Cli.Result plain = cli("reload");
        assertEquals(1, plain.code(), "without --wait too: " + plain.out() + plain.err());

        for (String line : startErrors) {
            String problem = line.substring("actor-runner: ".length());
            r.await(() -> r.output().contains("reload refused") && r.output().contains(problem), BOOT, "the log to say " + problem);
        }
        assertEquals(serving, r.inRotation().stream().map(Worker::pid).collect(Collectors.toSet()), "the same workers");
        assertTrue(r.everListening().stream().allMatch(w -> serving.contains(w.pid())), "no worker was forked: " + r.output());
        assertFalse(r.output().contains("worker 3 "), "no worker was forked");
        String answer = Http.get(port);
        assertTrue(serving.stream().anyMatch(pid -> answer.contains("pid " + pid)), answer);
    }
}
