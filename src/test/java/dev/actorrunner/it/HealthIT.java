package dev.actorrunner.it;

import static dev.actorrunner.it.RunnerProcess.fixture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actorrunner.fixtures.Reaper;
import dev.actorrunner.it.RunnerProcess.Worker;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #13: workers that hang are noticed, dumped, killed and replaced; requests never hang in
 * the runner; workers over a limit are recycled. Real runner, real worker JVMs, real signals.
 */
class HealthIT {
    private static final Duration BOOT = Duration.ofSeconds(60);
    private static final Pattern DUMPED = Pattern.compile("thread dump of \\d+ line\\(s\\) in (\\S+)");

    @TempDir
    Path dir;

    @RegisterExtension
    final Reaper reaper = new Reaper();

    private RunnerProcess runner(List<String> options, List<String> app) throws IOException {
        List<String> args = new ArrayList<>(List.of("-p", "0", "--kill-timeout", "3s", "--dump-grace", "1s",
                "--dump-dir", dir.resolve("dumps").toString(), "--backoff-min", "200ms"));
        args.addAll(options);
        args.addAll(app);
        return reaper.closeLater(RunnerProcess.start(args));
    }

    private static String unhealthyLine(RunnerProcess r, Worker w, Duration within) {
        String tag = "worker " + w.id() + " (pid " + w.pid();
        r.awaitLine(l -> l.contains(tag) && l.contains("unhealthy"), within, tag + " found unhealthy");
        return r.lines().stream().filter(l -> l.contains(tag) && l.contains("unhealthy")).findFirst().orElseThrow();
    }

    /**
     * SIGSTOP is what a JVM stuck in GC or a deadlocked accept loop looks like from outside: the
     * kernel still completes connects to its port, nobody accepts them. The tcp check sees that.
     */
    @Test
    void aFrozenWorkerIsFoundByItsCheckReplacedAndKilled() throws Exception {
        RunnerProcess r = runner(List.of("-w", "2", "--health-interval", "1s", "--health-timeout", "1s",
                "--health-failures", "2"), fixture("serve"));
        Worker frozen = r.awaitInRotation(2, BOOT).get(0);
        Process stop = new ProcessBuilder("kill", "-STOP", Long.toString(frozen.pid())).start();
        assertEquals(0, stop.waitFor());

        String line = unhealthyLine(r, frozen, Duration.ofSeconds(30));
        assertTrue(line.contains("tcp check failed 2 time(s) in a row, last: connected, but not accepted within 1s"), line);
        r.await(() -> r.inRotation().size() == 2 && r.inRotation().stream().noneMatch(w -> w.id() == frozen.id()),
                BOOT, "a replacement in rotation");
        // Stopped, it takes neither the dump signal nor SIGTERM: kill-timeout, then SIGKILL.
        RunnerProcess.awaitDead(List.of(frozen.pid()), Duration.ofSeconds(30));
        r.awaitLine(l -> l.contains("pid " + frozen.pid()) && l.contains("printed nothing after its dump signal"),
                Duration.ofSeconds(10), "the empty dump said so");
        int port = r.publicPort(BOOT);
        for (int i = 0; i < 4; i++) Http.get(port);
    }

    /**
     * A real Java-level deadlock: the request thread and a partner hold each other's monitor, and
     * everything else that needs one (GET /, the shutdown hook) waits for ever. The request gets
     * 504 once the worker's health check finds it out, and goes to no other worker; the worker is dumped (the deadlock is in the log and the file),
     * SIGTERM cannot end it, so it is dumped again and SIGKILLed; a replacement serves.
     */
    @Test
    void aDeadlockedWorkerIsDumpedKilledAndReplacedAndItsRequestGets504WithoutHangingAnother() throws Exception {
        RunnerProcess r = runner(List.of("-w", "2", "--mode", "http", "--ready", "http:/",
                "--health-interval", "1s", "--health-timeout", "1s", "--health-failures", "2"), fixture("deadlock"));
        List<Worker> workers = r.awaitInRotation(2, BOOT);
        int port = r.publicPort(BOOT);

        // Found unhealthy long before response-timeout (60 s), the worker's waiting request gets its
        // 504 then, and is not sent to the other worker, which it would deadlock too.
        String answer = get(port, "/deadlock", Duration.ofSeconds(40));
        assertTrue(answer.startsWith("HTTP/1.1 504 "), answer);
        r.awaitLine(l -> l.contains("unhealthy: GET / failed 2 time(s) in a row"), Duration.ofSeconds(5), "the unhealthy worker");
        Worker stuck = workers.stream().filter(w -> r.lines().stream().anyMatch(l ->
                l.contains("worker " + w.id() + " (pid " + w.pid()) && l.contains("unhealthy"))).findFirst().orElseThrow();
        Worker other = workers.stream().filter(w -> w.id() != stuck.id()).findFirst().orElseThrow();
        String tag = "[worker " + stuck.id() + " pid " + stuck.pid() + "]";
        r.awaitLine(l -> l.contains(tag) && l.contains("Found one Java-level deadlock"), Duration.ofSeconds(20),
                "the deadlock, in the log as the worker printed it");
        RunnerProcess.awaitDead(List.of(stuck.pid()), Duration.ofSeconds(30));
        r.awaitLine(l -> l.contains("worker " + stuck.id() + " (pid " + stuck.pid()) && l.contains("signal 9 (KILL)"),
                Duration.ofSeconds(10), "its exit by SIGKILL");

        List<Path> files = new ArrayList<>();
        r.await(() -> dumpFiles(r, stuck).size() == 2, Duration.ofSeconds(10), "two dumps: before SIGTERM and before SIGKILL");
        files.addAll(dumpFiles(r, stuck));
        for (Path file : files) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
            assertTrue(file.getFileName().toString().startsWith("worker-" + stuck.id() + "-pid-" + stuck.pid() + "-"), file.toString());
            String text = Files.readString(file);
            assertTrue(text.contains("Found one Java-level deadlock"), file + ":\n" + text);
            assertTrue(text.contains("\"deadlock-partner\"") && text.contains("\"request-"), "both threads: " + file);
        }
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("dumps"))));
        assertTrue(Files.readString(files.get(1)).contains("\"shutdown-hook\""), "the second shows the hung shutdown");

        r.await(() -> r.inRotation().size() == 2, BOOT, "a replacement in rotation");
        assertTrue(r.inRotation().stream().anyMatch(w -> w.pid() == other.pid()), "the other worker was never touched");
        assertTrue(r.lines().stream().noneMatch(l -> l.contains("worker " + other.id() + " (") && l.contains("unhealthy")),
                "the request that hung one worker did not hang the other");
        String ok = get(port, "/", Duration.ofSeconds(10));
        assertTrue(ok.startsWith("HTTP/1.1 200 "), ok);
    }

    /** The dump files the log announced for {@code w}, in the order they were written. */
    private static List<Path> dumpFiles(RunnerProcess r, Worker w) {
        List<Path> files = new ArrayList<>();
        for (String l : r.lines()) {
            Matcher m = DUMPED.matcher(l);
            if (l.contains("pid " + w.pid()) && m.find()) files.add(Path.of(m.group(1)));
        }
        return files;
    }

    /**
     * A worker that stops answering and accepting, in http mode: its own requests give it away
     * long before its next active check (10 minutes away); the check run at once confirms it.
     * Every request still gets an answer: 504 at response-timeout for those it held, 200 from
     * the replacement for the rest.
     */
    @Test
    void inHttpModeAWorkerThatStopsAnsweringIsFoundByItsRequestsAndNoRequestWaitsPastTheResponseTimeout()
            throws Exception {
        RunnerProcess r = runner(List.of("-w", "1", "--mode", "http", "--health-interval", "10m",
                "--health-timeout", "1s", "--health-failures", "2", "--response-timeout", "5s"), fixture("stop-answering"));
        Worker hung = r.awaitInRotation(1, BOOT).get(0);
        int port = r.publicPort(BOOT);
        long start = System.nanoTime();
        List<CompletableFuture<Answer>> held = new ArrayList<>();
        // The POST stops the worker answering; the GETs, sent once it has, wait behind it.
        held.add(CompletableFuture.supplyAsync(() -> timed(port, "POST /stop")));
        r.awaitLine(l -> l.contains("pid " + hung.pid() + "] stopped answering"), BOOT, "the worker to stop answering");
        for (String request : List.of("GET /a", "GET /b")) {
            held.add(CompletableFuture.supplyAsync(() -> timed(port, request)));
        }
        String line = unhealthyLine(r, hung, Duration.ofSeconds(15));
        Duration detected = Duration.ofNanos(System.nanoTime() - start);
        assertTrue(line.contains("request(s) in a row failed, last: no response within 1s, then tcp check failed: "
                + "connected, but not accepted within 1s"), line);
        assertTrue(detected.compareTo(Duration.ofSeconds(10)) < 0, "found by its requests: " + detected);
        for (CompletableFuture<Answer> f : held) {
            Answer a = f.get(30, TimeUnit.SECONDS);
            // 504 when the worker leaves rotation (or at response-timeout, whichever comes first);
            // none is sent to the replacement, which the POST's like would stop too.
            assertTrue(a.text.startsWith("HTTP/1.1 504 "), a.text);
            assertTrue(a.took.compareTo(Duration.ofSeconds(8)) < 0, "no request waits past response-timeout: " + a.took);
        }
        String after = get(port, "/", Duration.ofSeconds(20));
        assertTrue(after.startsWith("HTTP/1.1 200 "), after);
    }

    /**
     * --max-memory: a worker whose heap grows past it is replaced as a reload replaces one, its
     * replacement ready before it leaves; a client sending meanwhile sees no failure.
     */
    @Test
    void aWorkerOverMaxMemoryIsRecycledWithItsReplacementReadyFirst() throws Exception {
        RunnerProcess r = runner(List.of("-w", "1", "--health-interval", "1s", "--max-memory", "70MiB"), fixture("grow", "40"));
        Worker first = r.awaitInRotation(1, BOOT).get(0);
        int port = r.publicPort(BOOT);
        AtomicInteger failures = new AtomicInteger();
        AtomicInteger answered = new AtomicInteger();
        String tag = "worker " + first.id() + " (pid " + first.pid();
        CompletableFuture<Void> client = CompletableFuture.runAsync(() -> {
            while (!r.hasLeft(first.id())) {
                try {
                    Http.get(port, Duration.ofSeconds(10));
                    answered.incrementAndGet();
                } catch (IOException e) {
                    failures.incrementAndGet();
                }
            }
        });
        r.awaitLine(l -> l.contains(tag) && l.contains("recycled"), Duration.ofSeconds(30), "the recycling");
        String recycled = r.lines().stream().filter(l -> l.contains(tag) && l.contains("recycled")).findFirst().orElseThrow();
        assertTrue(recycled.matches(".*RSS \\d+ MiB above 70 MiB \\(max-memory\\).*"), recycled);
        r.await(() -> r.hasLeft(first.id()), BOOT, "the old worker to leave rotation");
        client.get(30, TimeUnit.SECONDS);
        List<String> lines = r.lines();
        int listening = indexOf(lines, l -> l.contains("worker 2 (pid") && l.contains("listening on"));
        int leaves = indexOf(lines, l -> l.contains(tag) && l.contains("leaves rotation"));
        assertTrue(listening >= 0 && listening < leaves, "the replacement was ready before the old one left");
        assertEquals(0, failures.get(), "requests that failed during the recycling");
        assertTrue(answered.get() > 0);
    }

    private static int indexOf(List<String> lines, java.util.function.Predicate<String> p) {
        for (int i = 0; i < lines.size(); i++) if (p.test(lines.get(i))) return i;
        return -1;
    }

    private record Answer(String text, Duration took) {}

    /** {@code "METHOD PATH"} with a 30 s bound: the response, or why there was none, and how long it took. */
    private static Answer timed(int port, String request) {
        long start = System.nanoTime();
        String text;
        try {
            text = send(port, request, Duration.ofSeconds(30));
        } catch (IOException e) {
            text = "failed: " + e;
        }
        return new Answer(text, Duration.ofNanos(System.nanoTime() - start));
    }

    private static String get(int port, String path, Duration timeout) throws IOException {
        return send(port, "GET " + path, timeout);
    }

    /** The whole response to {@code "METHOD PATH"} (no body) on a connection of its own, read to its close. */
    private static String send(int port, String request, Duration timeout) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout((int) timeout.toMillis());
            OutputStream out = s.getOutputStream();
            out.write((request + " HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
