package dev.actorrunner.it;

import static dev.actorrunner.it.RunnerProcess.fixture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actorrunner.cli.Cli;
import dev.actorrunner.control.Json;
import dev.actorrunner.fixtures.Reaper;
import dev.actorrunner.it.RunnerProcess.Worker;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real runner driven through its control socket with the CLI's client subcommands (in-process,
 * or as a JVM of their own where the environment matters), its metrics endpoint and its JSON log.
 */
class ControlIT {
    /** Generous: several JVMs start at once on a loaded 2-core machine. */
    private static final Duration BOOT = Duration.ofSeconds(60);

    @TempDir
    Path dir;
    @RegisterExtension
    final Reaper reaper = new Reaper();

    private RunnerProcess runner(List<String> options, List<String> app) throws IOException {
        return runner(List.of(), options, app, Map.of());
    }

    private RunnerProcess runner(List<String> jvm, List<String> options, List<String> app, Map<String, String> env)
            throws IOException {
        List<String> args = new ArrayList<>(List.of("-p", "0", "--kill-timeout", "20s", "--backoff-min", "200ms",
                "--backoff-max", "1s"));
        args.addAll(options);
        args.addAll(app);
        RunnerProcess r = RunnerProcess.start(jvm, args, env);
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

    @SuppressWarnings("unchecked")
    private Map<String, Object> status() {
        Cli.Result r = cli("status", "--json");
        assertEquals(0, r.code(), r.err());
        return (Map<String, Object>) Json.parse(r.out().strip());
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> workers(Map<String, Object> status) {
        return (List<Map<String, Object>>) (List<?>) status.get("workers");
    }

    private static Set<Long> pids(List<Map<String, Object>> workers) {
        return workers.stream().map(w -> (Long) w.get("pid")).collect(Collectors.toSet());
    }

    private static void await(RunnerProcess r, java.util.function.BooleanSupplier condition, String what) {
        r.await(condition, BOOT, what);
    }

    @Test
    void statusShowsTheRightPidsAndStatesDuringAndAfterAReload() throws Exception {
        Path gate = Files.createFile(dir.resolve("ready"));
        RunnerProcess r = runner(List.of("-w", "2", "--control-socket", socket().toString()),
                fixture("serve-when", gate.toString()));
        Set<Long> before = r.awaitInRotation(2, BOOT).stream().map(Worker::pid).collect(Collectors.toSet());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket())));

        Map<String, Object> boot = status();
        assertEquals(before, pids(workers(boot)));
        assertTrue(workers(boot).stream().allMatch(w -> w.get("state").equals("ready") && w.get("generation").equals(1L)));
        assertEquals(List.of("127.0.0.1:" + r.publicPort(BOOT)), boot.get("addresses"));
        Cli.Result table = cli("status");
        assertEquals(0, table.code(), table.err());
        for (long pid : before) assertTrue(table.out().matches("(?s).*\\n +\\d+ +" + pid + " +1 +ready .*"), table.out());

        // The replacement cannot become ready until the gate is back: status catches the reload midway.
        Files.delete(gate);
        Cli.Result reload = cli("reload");
        assertEquals(0, reload.code(), reload.err());
        assertEquals(List.of("reload 2 started: replacing 2 worker(s)"), reload.outLines());
        AtomicReference<Map<String, Object>> during = new AtomicReference<>();
        await(r, () -> {
            during.set(status());
            return workers(during.get()).stream().anyMatch(w -> w.get("generation").equals(2L) && (Long) w.get("pid") > 0);
        }, "a replacement to start");
        List<Map<String, Object>> mid = workers(during.get());
        assertEquals(before, pids(mid.stream().filter(w -> w.get("generation").equals(1L)).toList()));
        assertTrue(mid.stream().filter(w -> w.get("generation").equals(1L)).allMatch(w -> w.get("state").equals("ready")),
                mid.toString());
        assertEquals(List.of("starting"), mid.stream().filter(w -> w.get("generation").equals(2L))
                .map(w -> w.get("state")).toList());
        Map<?, ?> progress = (Map<?, ?>) during.get().get("reload");
        assertEquals(2L, progress.get("generation"));
        assertEquals(0L, progress.get("replaced"));
        assertEquals(2L, progress.get("toReplace"));

        Files.createFile(gate);
        AtomicReference<Map<String, Object>> after = new AtomicReference<>();
        await(r, () -> {
            after.set(status());
            return after.get().get("lastReload") != null;
        }, "the reload to end");
        assertEquals("completed", ((Map<?, ?>) after.get().get("lastReload")).get("result"));
        assertEquals(null, after.get().get("reload"));
        List<Map<String, Object>> now = workers(after.get()).stream().filter(w -> w.get("state").equals("ready")).toList();
        assertEquals(2, now.size(), after.get().toString());
        assertTrue(now.stream().allMatch(w -> w.get("generation").equals(2L)), now.toString());
        Set<Long> newPids = pids(now);
        assertTrue(newPids.stream().noneMatch(before::contains), newPids + " vs " + before);
        // The log arrives on its own pipe and thread: wait for it to catch up with the socket's answer.
        await(r, () -> newPids.equals(r.inRotation().stream().map(Worker::pid).collect(Collectors.toSet())),
                "the log to agree with status: " + newPids);
    }

    @Test
    void reloadWaitExitsZeroWhenTheReloadCompletesAndOneWhenItIsAbortedAndTheMetricsCount() throws Exception {
        Path gate = Files.createFile(dir.resolve("deployable"));
        RunnerProcess r = runner(List.of("-w", "2", "--control-socket", socket().toString(),
                "--metrics", "127.0.0.1:0"), fixture("serve-if", gate.toString()));
        r.awaitInRotation(2, BOOT);
        int metricsPort = metricsPort(r);
        Map<String, Double> m0 = metrics(metricsPort);
        assertEquals(2.0, m0.get("actor_runner_workers{state=\"ready\"}"));
        assertEquals(0.0, m0.get("actor_runner_reloads_completed_total"));

        Cli.Result ok = cli("reload", "--wait");
        assertEquals(0, ok.code(), ok.out() + ok.err());
        List<String> lines = ok.outLines();
        assertEquals("reload 2 started: replacing 2 worker(s)", lines.get(0));
        assertTrue(lines.stream().anyMatch(l -> l.matches("worker \\d+ ready in \\d+\\.\\ds, draining worker [12]")), ok.out());
        assertTrue(lines.get(lines.size() - 1).matches(
                "reload 2 completed in \\d+\\.\\ds \\(serving after \\d+\\.\\ds\\): 2 worker\\(s\\) replaced"), ok.out());
        r.awaitLine(l -> l.matches(".*reload 2 completed in .*: 2 worker\\(s\\) replaced, 2 ready"), BOOT,
                "the summary line in the runner's log");
        assertTrue(r.lines().stream().anyMatch(l -> l.matches(".*reload 2: worker \\d+ ready in \\S+, draining worker [12] \\(1 of 2 replaced\\)")),
                r.output());

        Map<String, Double> m1 = metrics(metricsPort);
        assertEquals(1.0, m1.get("actor_runner_reloads_started_total"));
        assertEquals(1.0, m1.get("actor_runner_reloads_completed_total"));
        assertEquals(1.0, m1.get("actor_runner_reload_duration_seconds_count{result=\"completed\"}"));

        Files.delete(gate); // the next deploy is broken: its first worker exits 3 at once
        Cli.Result aborted = cli("reload", "--wait");
        assertEquals(1, aborted.code(), aborted.out() + aborted.err());
        assertTrue(aborted.err().matches("actor-runner: reload 3 aborted: worker \\d+ \\(pid \\d+, gen 3\\) exited with exit code 3\\n"),
                aborted.err());
        assertTrue(aborted.out().contains("failed: exit code 3"), aborted.out());
        Map<String, Double> m2 = metrics(metricsPort);
        assertEquals(1.0, m2.get("actor_runner_reloads_aborted_total"));
        assertEquals(2.0, m2.get("actor_runner_reloads_started_total"));
        assertTrue(m2.get("actor_runner_restarts_total") >= 1.0, m2.toString());
        assertEquals(2.0, m2.get("actor_runner_workers{state=\"ready\"}"), "the old workers keep serving");
    }

    /**
     * A deploy script may remove the old release once reload --wait has returned 0: by then every
     * worker of the old generation has exited, not merely left rotation. The old workers here take
     * 2 s to exit after SIGTERM, so a reload that returned at the serving moment would be caught.
     */
    @Test
    void reloadWaitReturnsOnlyOnceEveryOldWorkerHasExited() throws Exception {
        RunnerProcess r = runner(List.of("-w", "2", "--control-socket", socket().toString()),
                fixture("slow-exit", "2000"));
        Set<Long> old = r.awaitInRotation(2, BOOT).stream().map(Worker::pid).collect(Collectors.toSet());
        Cli.Result ok = cli("reload", "--wait");
        List<Long> alive = old.stream().filter(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
                .toList();
        assertEquals(0, ok.code(), ok.out() + ok.err());
        assertEquals(List.of(), alive, "old workers still running after reload --wait:\n" + ok.out());
        List<String> lines = ok.outLines();
        int serving = lines.indexOf(lines.stream().filter(l -> l.startsWith("reload 2 serving after ")).findFirst()
                .orElseThrow(() -> new AssertionError("no serving line:\n" + ok.out())));
        assertEquals(2, lines.subList(serving, lines.size()).stream().filter(l -> l.matches("worker [12] exited .*"))
                .count() + lines.subList(0, serving).stream().filter(l -> l.matches("worker [12] exited .*")).count(),
                "both old workers' exits are said:\n" + ok.out());
        assertTrue(lines.get(lines.size() - 1).startsWith("reload 2 completed in "), ok.out());
    }

    @Test
    void scaleAndStopWaitThroughTheSocketWithJsonLogs() throws Exception {
        RunnerProcess r = runner(List.of("-w", "2", "--control-socket", socket().toString(), "--log-format", "json"),
                fixture("serve"));
        r.awaitInRotation(2, BOOT);

        Cli.Result up = cli("scale", "3");
        assertEquals(0, up.code(), up.err());
        assertEquals(List.of("scaling from 2 to 3 worker(s)"), up.outLines());
        await(r, () -> (Long) status().get("readyWorkers") == 3, "3 ready workers");
        Cli.Result down = cli("scale", "-2");
        assertEquals(List.of("scaling from 3 to 1 worker(s)"), down.outLines());
        await(r, () -> workers(status()).size() == 1, "1 worker left");

        // Every line the runner printed is one JSON object; events and app output carry their fields.
        List<Map<String, Object>> json = new ArrayList<>();
        for (String line : r.lines()) json.add(Json.parseObject(line));
        Map<?, ?> listening = json.stream().map(o -> (Map<?, ?>) o.get("mdc"))
                .filter(mdc -> "worker.listening".equals(mdc.get("event"))).findFirst().orElseThrow();
        assertTrue(listening.get("worker") != null && listening.get("pid") != null && listening.get("generation") != null,
                listening.toString());
        Map<String, Object> app = json.stream().filter(o -> "app".equals(o.get("loggerName"))).findFirst().orElseThrow();
        assertEquals("stdout", ((Map<?, ?>) app.get("mdc")).get("stream"));
        assertTrue(((String) app.get("formattedMessage")).contains("listening on 127.0.0.1:"), app.toString());
        assertTrue(json.stream().anyMatch(o -> "scale".equals(((Map<?, ?>) o.get("mdc")).get("event"))));

        Cli.Result stop = cli("stop", "--wait");
        assertEquals(0, stop.code(), stop.err());
        assertEquals("stopping 1 worker(s)", stop.outLines().get(0));
        assertEquals("the runner stopped", stop.outLines().get(stop.outLines().size() - 1));
        assertEquals(0, r.awaitExit(Duration.ofSeconds(30)), r.output());
        assertFalse(Files.exists(socket()), "the socket is removed at exit");
        Cli.Result none = cli("status");
        assertEquals(2, none.code());
        assertEquals("actor-runner: no runner listens on " + socket() + " (no such socket)\n", none.err());
    }

    @Test
    void theDefaultSocketIsOwnerOnlyInADirectoryOfModeSevenHundredAndTheClientFindsIt() throws Exception {
        Path tmp = Files.createDirectory(dir.resolve("tmp"));
        Map<String, String> noXdg = new HashMap<>();
        noXdg.put("XDG_RUNTIME_DIR", null);
        RunnerProcess r = runner(List.of("-Djava.io.tmpdir=" + tmp), List.of("-w", "1"), fixture("serve"), noXdg);
        r.awaitInRotation(1, BOOT);
        Matcher m = Pattern.compile("control socket (\\S+): ").matcher(r.output());
        assertTrue(m.find(), r.output());
        Path socket = Path.of(m.group(1));
        assertEquals(r.pid() + ".sock", socket.getFileName().toString());
        assertEquals(tmp, socket.getParent().getParent());
        assertTrue(socket.getParent().getFileName().toString().matches("actor-runner-\\d+"), socket.toString());
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent())));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));

        // A client of its own, as a user types it: no --control-socket; it finds the only runner.
        Process client = new ProcessBuilder(RunnerProcess.javaBin(), "-Djava.io.tmpdir=" + tmp, "-cp",
                System.getProperty("java.class.path"), "dev.actorrunner.cli.Main", "status")
                .redirectErrorStream(true).start();
        try {
            String out = read(client.getInputStream());
            assertTrue(client.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, client.exitValue(), out);
            assertTrue(out.contains("1 of 1 workers ready"), out);
        } finally {
            client.destroyForcibly();
        }
        r.signal("TERM");
        assertEquals(0, r.awaitExit(Duration.ofSeconds(30)), r.output());
        assertFalse(Files.exists(socket), "removed at exit");
    }

    @Test
    void aSecondRunnerOnTheSameSocketExitsTwoBeforeStartingAnyWorker() throws Exception {
        RunnerProcess first = runner(List.of("-w", "1", "--control-socket", socket().toString()), fixture("serve"));
        first.awaitInRotation(1, BOOT);
        RunnerProcess second = runner(List.of("-w", "1", "--control-socket", socket().toString()), fixture("serve"));
        assertEquals(2, second.awaitExit(BOOT), second.output());
        assertTrue(second.output().contains("actor-runner: control socket: " + socket() + ": another runner listens there"),
                second.output());
        assertTrue(second.everListening().isEmpty());
        assertEquals(0, cli("status").code(), "the first one still answers");
    }

    private static String read(InputStream in) throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }

    private static int metricsPort(RunnerProcess r) {
        Pattern p = Pattern.compile("metrics at http://127\\.0\\.0\\.1:(\\d+)/metrics");
        r.awaitLine(l -> p.matcher(l).find(), BOOT, "the metrics address");
        for (String line : r.lines()) {
            Matcher m = p.matcher(line);
            if (m.find()) return Integer.parseInt(m.group(1));
        }
        throw new AssertionError("unreachable");
    }

    /** The samples of the metrics page, by name and labels. */
    private static Map<String, Double> metrics(int port) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> res = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, res.statusCode());
        Map<String, Double> samples = new HashMap<>();
        for (String line : res.body().split("\n")) {
            if (line.isBlank() || line.startsWith("#")) continue;
            int space = line.lastIndexOf(' ');
            samples.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
        }
        return samples;
    }
}
