package dev.actorrunner.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actorrunner.fixtures.Processes;
import dev.actorrunner.fixtures.Reaper;
import dev.actorrunner.it.RunnerProcess.Worker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What a client of the public port sees in tcp mode (each connection pinned to its worker), with
 * the demo app as the workers: reloads and crashes under load, and a boot with no worker ready
 * yet. The default mode, auto, is AutoModeIT's.
 */
class FrontIT {
    private static final Duration BOOT = Duration.ofSeconds(60);
    @RegisterExtension
    final Reaper reaper = new Reaper();

    private RunnerProcess runner(int workers, List<String> app) throws Exception {
        List<String> args = new ArrayList<>(List.of("-p", "0", "-w", String.valueOf(workers), "--mode", "tcp",
                "--kill-timeout", "10s", "--backoff-min", "200ms"));
        args.addAll(app);
        return reaper.closeLater(RunnerProcess.start(args));
    }

    private LoadClient load(int port, int connections, boolean keepAlive) {
        return reaper.closeLater(new LoadClient(port, connections, keepAlive)); // closed before the runner
    }

    @Test
    void threeReloadsUnderKeepAliveLoadAnswerEveryRequest() throws Exception {
        RunnerProcess r = runner(2, RunnerProcess.demo());
        LoadClient.throughThreeReloads(r, reaper, BOOT);
        assertTrue(r.lines().stream().noneMatch(l -> l.contains("after drain-timeout")),
                "the demo ends kept-alive connections itself, so drains never time out");
    }

    @Test
    void workerKilledUnderLoadCostsAtMostTheRequestsItWasServing() throws Exception {
        RunnerProcess r = runner(2, RunnerProcess.demo());
        List<Worker> workers = r.awaitInRotation(2, BOOT);
        LoadClient load = load(r.publicPort(BOOT), 8, false);
        r.await(() -> load.ok.get() > 100, BOOT, "load to flow");
        long victim = workers.get(0).pid();
        new ProcessBuilder("kill", "-KILL", Long.toString(victim)).start().waitFor();
        // Reaped by the runner, so every thread has exited and its sockets are closed: a connection
        // to it is refused, and the front retries. (A JVM's main thread is a zombie while other
        // threads still hold the listening socket open, so "zombie" would be too early.)
        assertTrue(Processes.poll(() -> Processes.stat(victim) == null, BOOT), "worker " + victim + " to be reaped");
        long goneAt = System.nanoTime();
        r.await(() -> r.everListening().size() >= 3, BOOT, "the replacement to listen");
        long before = load.ok.get();
        r.await(() -> load.ok.get() > before + 100, BOOT, "load to flow after the replacement");
        load.close();

        // Only the requests already on the killed worker may fail: at most one per client thread,
        // all started before it was gone (measured after its death, not at the kill, so that a
        // slow spawn of kill(1) on a loaded machine cannot make an in-flight request look late).
        List<LoadClient.Failure> afterKill = load.failures.stream()
                .filter(f -> f.startedNanos() > goneAt).toList();
        assertEquals(List.of(), afterKill, "a new connection never fails");
        assertTrue(load.failures.size() <= 8, "at most one in-flight request per client: " + load.failures);
    }

    @Test
    void connectionMadeBeforeAnyWorkerIsReadyIsServedOnceOneIs() throws Exception {
        // The worker starts 2 s late, so the runner's port is up long before any worker is ready.
        List<String> slow = new ArrayList<>(List.of("--", "sh", "-c", "sleep 2; exec \"$0\" \"$@\""));
        slow.addAll(RunnerProcess.demo().subList(1, RunnerProcess.demo().size()));
        RunnerProcess r = runner(1, slow);
        int port = r.publicPort(BOOT);
        assertTrue(r.inRotation().isEmpty(), "no worker ready yet");
        String answer = Http.get(port, Duration.ofSeconds(30)).trim();
        Worker w = r.awaitInRotation(1, BOOT).get(0);
        assertEquals("hello from pid " + w.pid(), answer);
    }
}
