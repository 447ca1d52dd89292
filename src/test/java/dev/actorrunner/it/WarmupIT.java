package dev.actorrunner.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actorrunner.fixtures.Reaper;
import dev.actorrunner.it.RunnerProcess.Worker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Warm-up over real processes (the demo app): a new worker is called on its private port before
 * it enters rotation, and one whose warm-up fails never does.
 */
class WarmupIT {
    private static final Duration BOOT = Duration.ofSeconds(60);

    @RegisterExtension
    final Reaper reaper = new Reaper();

    private RunnerProcess runner(String... options) throws Exception {
        List<String> args = new ArrayList<>(List.of("-p", "0"));
        args.addAll(List.of(options));
        args.addAll(RunnerProcess.demo());
        return reaper.closeLater(RunnerProcess.start(args));
    }

    @Test
    void eachNewWorkerIsWarmedUpBeforeItEntersRotationAndOnlyTheOutcomeIsLogged() throws Exception {
        RunnerProcess r = runner("-w", "1", "--warmup", "GET:/", "--warmup-count", "30", "--warmup-concurrency", "3");
        Worker w = r.awaitInRotation(1, BOOT).get(0);
        List<String> lines = r.lines();
        int warmed = indexOf(lines, "worker pid " + w.pid() + " on port " + w.port() + " warmed up: 30 x GET / (3 at a time) in ");
        int listening = indexOf(lines, "worker 1 (pid " + w.pid() + ", gen 1) listening on");
        assertTrue(warmed >= 0 && warmed < listening, "warmed up, then in rotation:\n" + r.output());
        assertEquals("hello from pid " + w.pid(), Http.get(r.publicPort(BOOT)).trim());

        r.signal("HUP"); // a reload's new worker is warmed up too
        r.awaitLine(l -> l.contains("reload 2 completed"), BOOT, "the reload");
        Worker fresh = r.inRotation().get(0);
        assertTrue(r.lines().stream().anyMatch(l -> l.contains("worker pid " + fresh.pid() + " on port " + fresh.port()
                + " warmed up: 30 x GET /")), r.output());
    }

    @Test
    void aWorkerWhoseWarmUpFailsIsNotReadyAndIsKilledAtReadyTimeout() throws Exception {
        RunnerProcess r = runner("-w", "1", "--warmup", "GET:/nowhere", "--warmup-count", "5", "--ready-timeout", "3s",
                "--boot-failure-limit", "1");
        r.awaitLine(l -> l.contains("warm-up failed, 5 of 5 x GET /nowhere (4 at a time) in") && l.contains("first: HTTP 404; not ready yet"),
                BOOT, "the failed warm-up to be logged");
        r.awaitLine(l -> l.matches(".*worker 1 \\(pid \\d+, gen 1\\) not ready within 3s: killed.*"), BOOT,
                "the worker to count as not ready");
        assertEquals(3, r.awaitExit(BOOT), "never ready, the boot-failure limit reached:\n" + r.output());
        assertTrue(r.everListening().isEmpty(), "never in rotation");
        assertEquals(1, r.lines().stream().filter(l -> l.contains("warm-up failed")).count(),
                "a warm-up failing the same way at each check is said once:\n" + r.output());
    }

    private static int indexOf(List<String> lines, String fragment) {
        for (int i = 0; i < lines.size(); i++) if (lines.get(i).contains(fragment)) return i;
        return -1;
    }
}
