package dev.actorrunner.it;

import static dev.actorrunner.it.RunnerProcess.fixture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actorrunner.fixtures.Reaper;
import dev.actorrunner.it.RunnerProcess.Worker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The runner as a user runs it: a real JVM, real worker JVMs, real signals and sockets. */
class RunnerIT {
    /** Generous: several JVMs start at once on a loaded 2-core machine. */
    private static final Duration BOOT = Duration.ofSeconds(60);

    @RegisterExtension
    final Reaper reaper = new Reaper();

    private RunnerProcess runner(List<String> options, List<String> app) throws Exception {
        List<String> args = new ArrayList<>(List.of("-p", "0"));
        args.addAll(options);
        if (!options.contains("--kill-timeout")) args.addAll(List.of("--kill-timeout", "20s"));
        args.addAll(List.of("--backoff-min", "200ms", "--backoff-max", "1s"));
        args.addAll(app);
        RunnerProcess r = RunnerProcess.start(args);
        reaper.closeLater(r);
        return r;
    }

    @Test
    void startsDistinctWorkersThatAnswerOnTheirOwnPorts() throws Exception {
        RunnerProcess r = runner(List.of("-w", "3"), fixture("serve"));
        List<Worker> workers = r.awaitInRotation(3, BOOT);
        Set<Long> pids = new HashSet<>();
        for (Worker w : workers) {
            assertEquals("hello from pid " + w.pid(), Http.get(w.port()).trim());
            pids.add(w.pid());
        }
        assertEquals(3, pids.size());
        assertTrue(r.descendants().containsAll(pids), "workers are the runner's children");
        r.awaitLine(l -> l.matches(".*\\[worker 1 pid \\d+\\] .*listening on 127\\.0\\.0\\.1:\\d+.*"),
                BOOT, "the worker's own output, logged with its id and pid");
    }

    @Test
    void sighupReplacesEveryWorkerWhileAtLeastNAnswerAtEveryMoment() throws Exception {
        RunnerProcess r = runner(List.of("-w", "2"), fixture("serve"));
        List<Worker> before = r.awaitInRotation(2, BOOT);
        CapacitySampler sampler = new CapacitySampler(r, 2);
        sampler.start();
        r.signal("HUP");
        r.awaitLine(l -> l.contains("reload 2 completed"), BOOT, "reload to complete");
        sampler.stop();

        assertEquals(List.of(), sampler.violations);
        assertTrue(sampler.samples.get() >= 5, "sampled " + sampler.samples + " times");
        List<Worker> after = r.inRotation();
        assertEquals(2, after.size());
        for (Worker w : after) {
            assertEquals(2, w.generation());
            assertEquals("hello from pid " + w.pid(), Http.get(w.port()).trim());
        }
        List<Long> oldPids = before.stream().map(Worker::pid).toList();
        assertTrue(after.stream().noneMatch(w -> oldPids.contains(w.pid())), "every pid replaced");
        RunnerProcess.awaitDead(oldPids, Duration.ofSeconds(20));
    }

    @Test
    void sigtermStopsEveryWorkerAndExitsZero() throws Exception {
        RunnerProcess r = runner(List.of("-w", "2"), fixture("serve"));
        List<Long> pids = r.awaitInRotation(2, BOOT).stream().map(Worker::pid).toList();
        r.signal("TERM");
        assertEquals(0, r.awaitExit(Duration.ofSeconds(30)), r.output());
        pids.forEach(pid -> assertFalse(RunnerProcess.alive(pid), "worker " + pid + " outlived the runner"));
        assertTrue(r.output().contains("exited after stop"), r.output());
    }

    @Test
    void sigintStopsGracefullyToo() throws Exception {
        RunnerProcess r = runner(List.of("-w", "1"), fixture("serve"));
        r.awaitInRotation(1, BOOT);
        r.signal("INT");
        assertEquals(0, r.awaitExit(Duration.ofSeconds(30)), r.output());
    }

    @Test
    void workerThatIgnoresSigtermIsKilledAtKillTimeout() throws Exception {
        RunnerProcess r = runner(List.of("-w", "1", "--kill-timeout", "1s"), fixture("ignore-term"));
        long pid = r.awaitInRotation(1, BOOT).get(0).pid();
        r.signal("TERM");
        assertEquals(0, r.awaitExit(Duration.ofSeconds(30)), r.output());
        assertFalse(RunnerProcess.alive(pid));
        assertTrue(r.output().contains("after SIGTERM: SIGKILL"), r.output());
    }

    @Test
    void killedWorkerIsReplaced() throws Exception {
        RunnerProcess r = runner(List.of("-w", "2"), fixture("serve"));
        List<Worker> before = r.awaitInRotation(2, BOOT);
        long victim = before.get(0).pid();
        new ProcessBuilder("kill", "-KILL", Long.toString(victim)).start().waitFor();
        r.await(() -> r.everListening().size() >= 3, BOOT, "a replacement to listen");
        r.awaitLine(l -> l.contains("signal 9 (KILL)"), BOOT, "the crash to be logged with its signal");
        List<Worker> now = r.awaitInRotation(2, BOOT);
        assertTrue(now.stream().noneMatch(w -> w.pid() == victim));
        for (Worker w : now) assertTrue(Http.answers(w.port()));
    }

    @Test
    void sigkillOfTheRunnerLeavesNoWorkerOrGrandchildAlive() throws Exception {
        RunnerProcess r = runner(List.of("-w", "2"), fixture("spawn-child"));
        r.awaitInRotation(2, BOOT);
        r.await(() -> r.lines().stream().filter(l -> l.contains("child pid")).count() >= 2, BOOT,
                "both grandchildren to start");
        List<Long> below = r.descendants();
        List<Long> grandchildren = r.lines().stream().filter(l -> l.contains("child pid"))
                .map(l -> Long.parseLong(l.replaceAll(".*child pid (\\d+).*", "$1"))).toList();
        assertTrue(below.containsAll(grandchildren), below + " should hold " + grandchildren);
        r.signal("KILL");
        r.awaitExit(Duration.ofSeconds(10));
        RunnerProcess.awaitDead(Stream.concat(below.stream(), grandchildren.stream()).toList(),
                Duration.ofSeconds(2));
    }

    @Test
    void sigttinAddsAWorkerAndSigttouRemovesOne() throws Exception {
        RunnerProcess r = runner(List.of("-w", "1"), fixture("serve"));
        r.awaitInRotation(1, BOOT);
        r.signal("TTIN");
        r.awaitInRotation(2, BOOT);
        r.signal("TTOU");
        r.await(() -> r.inRotation().size() == 1 && r.hasLeft(1), BOOT, "scale down to 1 worker");
    }

    @Test
    void appThatCannotBootStopsTheRunnerWithExitCodeThree() throws Exception {
        RunnerProcess r = runner(List.of("-w", "1", "--boot-failure-limit", "2"), fixture("exit-at-once", "4"));
        assertEquals(3, r.awaitExit(BOOT), r.output());
        assertTrue(r.output().contains("boot failed"), r.output());
        assertFalse(r.output().contains("Exception"), r.output());
    }

    @Test
    void busyPublicPortExitsTwoWithOneLineAndStartsNoWorker() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            RunnerProcess r = RunnerProcess.start(List.of("-p", String.valueOf(port), "--bind", "127.0.0.1",
                    "--", "sh", "-c", "echo worker started"));
            reaper.closeLater(r);
            assertEquals(2, r.awaitExit(Duration.ofSeconds(30)), r.output());
            List<String> out = r.lines();
            assertEquals(List.of("actor-runner: cannot listen on 127.0.0.1:" + port + ": address already in use"),
                    out.stream().filter(l -> !l.contains("INFO") && !l.contains("WARN")).toList(), r.output());
            assertTrue(out.stream().noneMatch(l -> l.contains("worker started")), r.output());
        }
    }

    @Test
    void badFlagExitsTwoWithOneLine() throws Exception {
        RunnerProcess r = runner(List.of("--workers", "abc"), fixture("serve"));
        assertEquals(2, r.awaitExit(Duration.ofSeconds(30)));
        List<String> out = r.lines();
        assertEquals(1, out.size(), String.join("\n", out));
        assertTrue(out.get(0).contains("workers"), out.get(0));
    }

    /**
     * Samples, as fast as it can, that the workers the log shows in rotation are at least
     * {@code n} and all answer. A worker that fails to answer is excused only if the log says,
     * within 2 s, that it left rotation: the runner logs that before it sends the SIGTERM.
     */
    private static final class CapacitySampler {
        final List<String> violations = new CopyOnWriteArrayList<>();
        final AtomicInteger samples = new AtomicInteger();
        private final RunnerProcess r;
        private final int n;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread = new Thread(this::run, "capacity-sampler");

        CapacitySampler(RunnerProcess r, int n) {
            this.r = r;
            this.n = n;
        }

        void start() {
            thread.start();
        }

        void stop() throws InterruptedException {
            running.set(false);
            thread.join(10_000);
        }

        private void run() {
            while (running.get()) {
                List<Worker> view = r.inRotation();
                if (view.size() < n) violations.add("only " + view.size() + " in rotation: " + view);
                for (Worker w : view) {
                    if (!Http.answers(w.port()) && !leavesWithin(w, Duration.ofSeconds(2))) {
                        violations.add(w + " in rotation but not answering");
                    }
                }
                samples.incrementAndGet();
            }
        }

        private boolean leavesWithin(Worker w, Duration d) {
            long deadline = System.nanoTime() + d.toNanos();
            while (System.nanoTime() < deadline) {
                if (r.hasLeft(w.id())) return true;
                RunnerProcess.pause();
            }
            return r.hasLeft(w.id());
        }
    }
}
