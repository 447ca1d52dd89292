package dev.actorrunner.it;

import static dev.actorrunner.it.RunnerProcess.fixture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actorrunner.fixtures.FixtureApp;
import dev.actorrunner.fixtures.Processes;
import dev.actorrunner.fixtures.Reaper;
import dev.actorrunner.it.RunnerProcess.Worker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Issue #5: an app that misbehaves the way production apps do, and a runner pushed the way
 * operators push it. The runner must keep serving with what it has, say what happened, and leave
 * nothing behind. Real runner JVM, real worker processes, real signals.
 */
class FaultsIT {
    private static final Duration BOOT = Duration.ofSeconds(60);
    private static final Pattern BACKOFF = Pattern.compile("replacing worker \\d+ \\(pid \\d+, gen \\d+\\) in (\\d+(?:\\.\\d)?)(ms|s) ");

    @TempDir
    Path dir;

    /**
     * What a worker's death in rotation may cost a client that sends one request at a time, in
     * tcp mode: the request in flight on it, and any sent to it while its JVM exits (System.exit
     * runs the shutdown while the socket still accepts; tcp mode cannot replay a request the worker
     * may have read). A local run saw a crash cost two. Bounded per death, not per second: a worker
     * left in rotation after its death would fail hundreds.
     */
    private static final int LOST_PER_DEATH = 3;
    /** How far from a death's log line a request it cost may end (the log and the client see it apart). */
    private static final long DEATH_WINDOW_MS = 750;

    @RegisterExtension
    final Reaper reaper = new Reaper();

    private RunnerProcess runner(List<String> options, List<String> app) throws IOException {
        List<String> args = new ArrayList<>(List.of("-p", "0"));
        args.addAll(options);
        args.addAll(app);
        RunnerProcess r = RunnerProcess.start(args);
        reaper.closeLater(r);
        return r;
    }

    private Client client(RunnerProcess r) {
        Client c = new Client(r.publicPort(BOOT));
        reaper.closeLater(c);
        c.thread.start();
        return c;
    }

    // ---- the app misbehaves ----

    /**
     * A deploy that exits at once, hangs before listening, listens on the wrong port, or dies a
     * second after it is ready (caught by --reload-settle): the reload is aborted before any old
     * worker stops, and the old workers serve every request meanwhile. Deploying a good build
     * again then works.
     */
    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', value = {
        "exit-at-once 4        | 0s | exited with exit code 4",
        "never-listen          | 0s | not ready within 3s",
        "wrong-port            | 0s | not ready within 3s",
        "exit-after-ready 1000 | 5s | exited with exit code 1",
    })
    void aBrokenDeployAbortsTheReloadWhileTheOldWorkersServe(String badMode, String settle, String reason) throws Exception {
        Path mode = Files.writeString(dir.resolve("mode"), "serve");
        // tcp mode: what LOST_PER_DEATH allows a settling worker's death is tcp mode's cost.
        RunnerProcess r = runner(List.of("-w", "2", "--mode", "tcp", "--ready-timeout", "3s", "--reload-settle", settle,
                "--backoff-min", "200ms"), fixture("as-file", mode.toString()));
        List<Long> before = r.awaitInRotation(2, BOOT).stream().map(Worker::pid).toList();
        Client client = client(r);
        client.awaitAnswers(5, BOOT);

        Files.writeString(mode, badMode);
        r.signal("HUP");
        r.awaitLine(l -> l.contains("reload 2 aborted"), BOOT, "the broken deploy to be aborted");
        assertTrue(r.output().contains(reason), "the log says why: " + reason + "\n" + r.output());
        int answered = client.ok.get();
        client.awaitAnswers(answered + 5, BOOT);
        assertTrue(r.inRotation().stream().map(Worker::pid).toList().containsAll(before), "old workers still serve");
        assertTrue(r.lines().stream().noneMatch(l -> l.contains("gen 1) leaves rotation")), "no old worker stopped");
        if (!settle.equals("0s")) {
            assertTrue(r.output().contains("reload 2: worker 3 ready in") && r.output().contains("settling for " + settle),
                    "the new worker was ready and settling when it died:\n" + r.output());
            // A settling worker is in rotation: it served until it died, and its death may cost what
            // the client had sent to it.
            assertTrue(client.failures.size() <= LOST_PER_DEATH, "lost to the worker's death: " + client.failures);
        } else {
            assertEquals(List.of(), client.failures, "every request was answered during the broken deploy");
            assertTrue(client.pids.stream().allMatch(before::contains), "only the old workers answered");
        }

        int failed = client.failures.size();
        Files.writeString(mode, "serve");
        r.signal("HUP");
        r.awaitLine(l -> l.contains("reload 3 completed"), BOOT, "a good deploy after the broken one");
        client.close();
        assertEquals(failed, client.failures.size(), "the good deploy lost no request: " + client.failures);
    }

    /**
     * Another process takes a worker's private port before the worker binds it (two runners sharing
     * worker-ports): the port answers, but the listener is not the worker's, so the worker is never
     * counted ready and no client is sent to that other process. The worker's own bind fails, and
     * its replacement gets another port.
     */
    @Test
    void aPortTakenByAnotherProcessBeforeTheWorkerBindsItIsNotTheWorkersReadiness() throws Exception {
        Path gate = dir.resolve("gate");
        RunnerProcess r = runner(List.of("-w", "1", "--backoff-min", "100ms"), fixture("serve-when", gate.toString()));
        r.awaitLine(l -> l.matches(".*worker 1 \\(pid \\d+, gen 1\\) started on 127\\.0\\.0\\.1:\\d+.*"), BOOT, "worker 1 to start");
        int port = Integer.parseInt(r.lines().stream().filter(l -> l.contains("worker 1 (pid")).findFirst().orElseThrow()
                .replaceAll(".*started on 127\\.0\\.0\\.1:(\\d+).*", "$1"));
        try (java.net.ServerSocket thief = new java.net.ServerSocket(port, 50, java.net.InetAddress.getLoopbackAddress())) {
            r.awaitLine(l -> l.contains("port " + port + " answers, but the listener is not the worker's"), BOOT,
                    "the probe to see a listener that is not the worker's");
            Files.writeString(gate, "go"); // the worker now tries to bind, and fails
            r.awaitLine(l -> l.matches(".*worker 1 \\(pid \\d+, gen 1\\) exited with exit code 1.*"), BOOT,
                    "worker 1 to fail its bind");
            Worker replacement = r.awaitInRotation(1, BOOT).get(0);
            assertTrue(replacement.id() > 1 && replacement.port() != port, "replaced on another port: " + replacement);
            assertTrue(r.everListening().stream().noneMatch(w -> w.id() == 1), "worker 1 was never counted ready");
            assertEquals("hello from pid " + replacement.pid(), Http.get(r.publicPort(BOOT)).trim());
        }
    }

    /**
     * One worker crashes a second after every start, beside a healthy one: the replacement delay
     * doubles up to its cap, every crash is logged, and the healthy worker serves throughout (what
     * the loop costs the runner in CPU is measured by bench/faults.sh, without a client's load).
     */
    @Test
    void aCrashLoopAtSteadyStateBacksOffToItsCapWhileTheHealthyWorkerServes() throws Exception {
        // tcp mode: the bound on what the crashes cost the client, below, is tcp mode's.
        RunnerProcess r = runner(List.of("-w", "2", "--mode", "tcp", "--backoff-min", "100ms", "--backoff-max", "800ms"),
                fixture("stable-or-crash", dir.toString(), "1000"));
        r.awaitInRotation(2, BOOT);
        Client client = client(r);
        // 100ms, 200ms, 400ms, 800ms, then the cap again and again
        r.await(() -> backoffDelays(r).stream().filter(d -> d == 800).count() >= 3, Duration.ofSeconds(120),
                "the backoff to reach its cap of 800ms three times");
        client.close();

        List<Long> delays = backoffDelays(r);
        assertEquals(List.of(100L, 200L, 400L, 800L), delays.subList(0, 4), "doubling from min to cap: " + delays);
        assertTrue(delays.stream().allMatch(d -> d <= 800), "never above the cap: " + delays);
        // A dying worker is seen either by its exit ("exited with exit code 1") or first by the front
        // refusing it, then retired as unhealthy ("exited after stop: ..." with exit code 1, or the
        // SIGTERM's if it came first): each backs off once. Only the crashing line's workers exit.
        List<String> deathLines = r.lines().stream()
                .filter(l -> l.matches(".*worker \\d+ \\(pid \\d+, gen 1\\) (exited|leaves rotation, unhealthy).*")).toList();
        // Each death is counted by worker: its backoff line may come with its unhealthy line, before its exit.
        long crashes = r.lines().stream()
                .map(l -> Pattern.compile("worker (\\d+) \\(pid \\d+, gen 1\\) (exited|leaves rotation, unhealthy)").matcher(l))
                .filter(Matcher::find).map(m -> m.group(1)).distinct().count();
        assertTrue(crashes >= delays.size(), "every crash is logged: " + crashes + " crashes, " + delays.size() + " delays");
        // The healthy worker never left: it is in rotation still, and it answered throughout.
        long healthy = Long.parseLong(Files.readString(dir.resolve("stable")).strip());
        assertTrue(r.inRotation().stream().anyMatch(w -> w.pid() == healthy), "healthy worker in rotation");
        assertFalse(r.output().contains("(pid " + healthy + ", gen 1) exited"), r.output());
        assertTrue(client.pids.contains(healthy), "the healthy worker answered");
        // What a death costs in tcp mode grows with how long the dying JVM keeps accepting, which a
        // loaded machine stretches (CI once saw 22 for 6 deaths, one client at a time): so the bound
        // is in time, not in count. Every lost request ended as a worker died, none while both served.
        List<LocalTime> deaths = deathLines.stream().map(l -> LocalTime.parse(l.substring(0, 12))).toList();
        for (LocalTime failed : client.failureTimes) {
            assertTrue(deaths.stream().anyMatch(d -> Math.abs(Duration.between(d, failed).toMillis()) <= DEATH_WINDOW_MS),
                    () -> "a request failed at " + failed + ", not within " + DEATH_WINDOW_MS + " ms of a death " + deaths
                            + ": " + client.failures + "\n" + r.output());
        }
        assertTrue(client.ok.get() > 100 * client.failures.size(), client.failures.size() + " failures for "
                + crashes + " crashes, " + client.ok + " answered: " + client.failures);
    }

    private static List<Long> backoffDelays(RunnerProcess r) {
        List<Long> delays = new ArrayList<>();
        for (String line : r.lines()) {
            Matcher m = BACKOFF.matcher(line);
            if (m.find()) {
                double n = Double.parseDouble(m.group(1));
                delays.add(m.group(2).equals("s") ? Math.round(n * 1000) : (long) n);
            }
        }
        return delays;
    }

    /**
     * A worker writes 100-byte lines as fast as it can for 10 s into a runner with a 64 MiB heap:
     * the runner reads (and logs) all of it without OutOfMemoryError, keeps answering on the public
     * port meanwhile, and the worker is never blocked for good (its "flood done" line arrives).
     */
    @Test
    void aWorkerFloodingItsOutputCannotExhaustTheRunnersMemoryOrStallIt() throws Exception {
        List<String> args = new ArrayList<>(List.of("-p", "0", "-w", "1"));
        args.addAll(fixture("flood", "10"));
        RunnerProcess flood = RunnerProcess.start(List.of("-Xmx64m"), args, Map.of(),
                line -> !line.contains("] flood xxxx"));
        reaper.closeLater(flood);
        flood.awaitInRotation(1, BOOT);
        Client client = client(flood);
        flood.awaitLine(l -> l.contains("flood done:"), Duration.ofSeconds(120), "the worker to finish its flood");
        client.awaitAnswers(3, BOOT);
        client.close();

        String done = flood.lines().stream().filter(l -> l.contains("flood done:")).findFirst().orElseThrow();
        long bytes = Long.parseLong(done.replaceAll(".*flood done: (\\d+) bytes.*", "$1"));
        assertTrue(bytes > 0, done);
        assertFalse(flood.output().contains("OutOfMemoryError"), flood.output());
        assertTrue(RunnerProcess.alive(flood.pid()), "the runner is alive");
        assertEquals(List.of(), client.failures, "the public port answered during the flood");
        // Every line the worker wrote was logged: 640 lines per 64,000-byte write.
        flood.await(() -> flood.dropped() >= bytes / 100, Duration.ofSeconds(60), "every flood line to be logged");
        System.out.printf("flood: %d MB written in 10 s (%.1f MB/s), %d lines logged, %d requests answered meanwhile,"
                        + " runner peak RSS %d MiB%n", bytes / 1_000_000, bytes / 10e6, flood.dropped(),
                client.ok.get(), peakRssKib(flood.pid()) / 1024);
    }

    /** A 1 MiB line and 64 KiB of binary noise: cut at 8 KiB with a marker, then the next line is intact. */
    @Test
    void longLinesAndBinaryGarbageAreTruncatedAndTheRunnerCarriesOn() throws Exception {
        RunnerProcess r = runner(List.of("-w", "1"), fixture("garbage"));
        r.awaitInRotation(1, BOOT);
        r.awaitLine(l -> l.endsWith("after garbage"), BOOT, "the line after the garbage");
        String longLine = r.lines().stream().filter(l -> l.contains("] long yyy")).findFirst().orElseThrow();
        assertTrue(longLine.endsWith("y [truncated]"), longLine.substring(longLine.length() - 40));
        String logged = longLine.substring(longLine.indexOf("] long ") + 2, longLine.length() - " [truncated]".length());
        assertEquals(8192, logged.length(), "the line is cut at 8 KiB");
        assertEquals(Http.get(r.publicPort(BOOT)).trim(), "hello from pid " + r.inRotation().get(0).pid());
    }

    /**
     * A worker that ignores SIGTERM and has a grandchild that ignores it too: at kill-timeout both
     * get SIGKILL (the worker's whole process group), and the runner exits 0.
     */
    @Test
    void aWorkerAndItsChildIgnoringSigtermAreBothKilledAtKillTimeout() throws Exception {
        RunnerProcess r = runner(List.of("-w", "1", "--kill-timeout", "1s"), fixture("stubborn-child"));
        long worker = r.awaitInRotation(1, BOOT).get(0).pid();
        r.awaitLine(l -> l.contains("child pid"), BOOT, "the grandchild to start");
        long child = Long.parseLong(r.lines().stream().filter(l -> l.contains("child pid")).findFirst().orElseThrow()
                .replaceAll(".*child pid (\\d+).*", "$1"));
        assertTrue(RunnerProcess.alive(child));
        r.signal("TERM");
        assertEquals(0, r.awaitExit(Duration.ofSeconds(30)), r.output());
        assertTrue(r.output().contains("after SIGTERM: SIGKILL"), r.output());
        RunnerProcess.awaitDead(List.of(worker, child), Duration.ofSeconds(2));
    }

    // ---- the runner under stress ----

    /**
     * A second TERM or INT while the first one waits for workers that ignore SIGTERM: SIGKILL now,
     * not after the 60 s kill-timeout (a repeated Ctrl-C means "now").
     */
    @ParameterizedTest(name = "[{index}] {0} then {1}")
    @CsvSource({"TERM, TERM", "INT, INT", "TERM, INT"})
    void aSecondStopSignalDuringAGracefulStopKillsEverythingAtOnce(String first, String second) throws Exception {
        RunnerProcess r = runner(List.of("-w", "2", "--kill-timeout", "60s"), fixture("ignore-term"));
        List<Long> pids = r.awaitInRotation(2, BOOT).stream().map(Worker::pid).toList();
        r.signal(first);
        r.awaitLine(l -> l.contains("stopping 2 worker(s)"), BOOT, "the graceful stop to begin");
        r.await(() -> r.output().contains("after SIGTERM") || r.lines().stream()
                .filter(l -> l.contains("leaves rotation")).count() >= 2, BOOT, "both workers to be sent SIGTERM");
        r.signal(second);
        assertEquals(0, r.awaitExit(Duration.ofSeconds(30)), r.output());
        assertTrue(r.output().contains("second stop request: killing 2 worker(s) now"), r.output());
        RunnerProcess.awaitDead(pids, Duration.ofSeconds(2));
    }

    /**
     * SIGKILL of the runner, twenty times: every worker and grandchild is gone within 2 s each
     * time (the orphan watchdog and PR_SET_PDEATHSIG; nothing the runner could run on its way out).
     */
    @Test
    void sigkillOfTheRunnerTwentyTimesLeavesNothingAlive() throws Exception {
        for (int round = 1; round <= 20; round++) {
            RunnerProcess r = runner(List.of("-w", "2", "--ready", "none", "--port-env", "PORT"),
                    List.of("--", "sh", "-c", "sleep 600 & echo \"child pid $!\"; wait"));
            r.await(() -> r.lines().stream().filter(l -> l.contains("child pid")).count() >= 2, BOOT,
                    "round " + round + ": both workers and their grandchildren to start");
            List<Long> below = r.descendants();
            assertTrue(below.size() >= 4, "round " + round + ": workers and grandchildren " + below);
            r.signal("KILL");
            r.awaitExit(Duration.ofSeconds(10));
            try {
                RunnerProcess.awaitDead(below, Duration.ofSeconds(2));
            } catch (AssertionError e) {
                throw new AssertionError("round " + round + ": " + e.getMessage(), e);
            }
            r.close();
        }
    }

    /**
     * 100 SIGHUPs within one second, while the reload they meet is held (its replacement waits for
     * a file): one reload runs, the other 99 requests become one queued reload, and no worker piles
     * up. Released, the running reload completes, the queued one runs, and nothing else was queued:
     * the next SIGHUP starts reload 4.
     */
    @Test
    void aHundredSighupsInOneSecondRunOneReloadAndQueueExactlyOneMore() throws Exception {
        Path mode = Files.writeString(dir.resolve("mode"), "serve");
        Path gate = dir.resolve("gate");
        RunnerProcess r = runner(List.of("-w", "2"), fixture("as-file", mode.toString()));
        r.awaitInRotation(2, BOOT);
        Files.writeString(mode, "serve-when " + gate);
        // dash's builtin kill: ten signals, a tenth of a second, ten times.
        Process burst = new ProcessBuilder("sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10; do"
                + " for j in 1 2 3 4 5 6 7 8 9 10; do kill -HUP " + r.pid() + "; done; sleep 0.1; done").start();
        assertTrue(burst.waitFor(30, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals(0, burst.exitValue());
        r.awaitLine(l -> l.contains("reload 2 started"), BOOT, "the first reload");
        r.awaitLine(l -> l.contains("reload requested during reload 2"), BOOT, "the burst to be queued");
        long workers = r.descendants().stream().filter(FaultsIT::isFixtureApp).count();
        assertEquals(3, workers, "2 old workers and 1 held replacement, no pile-up");

        Files.writeString(mode, "serve");
        Files.writeString(gate, "go");
        r.awaitLine(l -> l.contains("reload 3 completed"), BOOT, "the running and the queued reload");
        r.signal("HUP");
        r.awaitLine(l -> l.contains("reload 4 completed"), BOOT, "a later SIGHUP to be reload 4");
        List<String> reloads = r.lines().stream().filter(l -> l.matches(".*reload \\d+ (started|completed|aborted).*"))
                .map(l -> l.replaceAll(".*(reload \\d+ (started|completed|aborted)).*", "$1")).toList();
        assertEquals(List.of("reload 2 started", "reload 2 completed", "reload 3 started", "reload 3 completed",
                "reload 4 started", "reload 4 completed"), reloads, "one at a time, one queued");
        assertEquals(1, r.lines().stream().filter(l -> l.contains("reload requested during reload 2")).count(),
                "the burst is one log line, not 99");
    }

    /** Sequential GETs on the public port, one connection each, until stopped. */
    private static final class Client implements AutoCloseable {
        final AtomicInteger ok = new AtomicInteger();
        final List<String> failures = new CopyOnWriteArrayList<>();
        final List<LocalTime> failureTimes = new CopyOnWriteArrayList<>();
        final List<Long> pids = new CopyOnWriteArrayList<>();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final int port;
        final Thread thread = new Thread(this::run, "public-client");

        Client(int port) {
            this.port = port;
        }

        private void run() {
            while (running.get()) {
                try {
                    String body = Http.get(port, Duration.ofSeconds(30)).trim();
                    pids.add(Long.parseLong(body.replace("hello from pid ", "")));
                    ok.incrementAndGet();
                } catch (IOException | RuntimeException e) {
                    failureTimes.add(LocalTime.now());
                    failures.add(e.toString());
                }
            }
        }

        void awaitAnswers(int n, Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (ok.get() < n) {
                if (System.nanoTime() > deadline) throw new AssertionError("only " + ok + " answers; failures " + failures);
                RunnerProcess.pause();
            }
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join(60_000);
        }
    }

    /** Whether {@code pid} runs the fixture app (false once it is gone). */
    private static boolean isFixtureApp(long pid) {
        try {
            return Processes.cmdline(pid).contains(FixtureApp.class.getName());
        } catch (IOException gone) {
            return false;
        }
    }

    /** The peak resident set of a live process (VmHWM in /proc/PID/status), in KiB. */
    private static long peakRssKib(long pid) throws IOException {
        return Stream.of(Files.readString(Path.of("/proc", Long.toString(pid), "status")).split("\n"))
                .filter(l -> l.startsWith("VmHWM:")).findFirst()
                .map(l -> Long.parseLong(l.replaceAll("\\D", ""))).orElse(-1L);
    }
}
