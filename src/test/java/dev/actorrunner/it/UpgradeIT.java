package dev.actorrunner.it;

import static dev.actorrunner.it.RunnerProcess.demo;
import static dev.actorrunner.it.RunnerProcess.fixture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actorrunner.cli.Cli;
import dev.actorrunner.fixtures.Reaper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runner replaced by a new runner process without refusing a connection: {@code actor-runner
 * upgrade} hands the listening socket over (SCM_RIGHTS), the new runner's workers get ready, and
 * only then does the old runner stop accepting, let its clients go and stop its workers. Real
 * runner JVMs and real sockets; the new runner is the old one's child until the old one exits, so
 * each test registers its pid (and that of its workers) with the reaper as soon as the log names it.
 */
class UpgradeIT {
    private static final Duration BOOT = Duration.ofSeconds(60);
    private static final Path JAR = Path.of(System.getProperty("actorrunner.jar", "target/actor-runner.jar"));
    private static final Pattern NEXT = Pattern.compile("started the next runner, pid (\\d+)");

    @TempDir
    Path dir;
    @RegisterExtension
    final Reaper reaper = new Reaper();

    private RunnerProcess runner(List<String> options, List<String> app) throws IOException {
        List<String> args = new ArrayList<>(List.of("-p", "0", "--kill-timeout", "20s", "--control-socket",
                socket().toString(), "--pid-file", dir.resolve("pid").toString()));
        args.addAll(options);
        args.addAll(app);
        RunnerProcess r = RunnerProcess.start(List.of(), args, Map.of());
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

    /** The next runner's pid, once the old one's log names it; registered for teardown at once. */
    private long nextPid(RunnerProcess old) {
        old.awaitLine(l -> NEXT.matcher(l).find(), BOOT, "the next runner to start");
        Matcher m = old.lines().stream().map(NEXT::matcher).filter(Matcher::find).findFirst().orElseThrow();
        return reaper.register(Long.parseLong(m.group(1)));
    }

    private static long pidIn(Path file) throws IOException {
        return Long.parseLong(Files.readString(file).strip());
    }

    @Test
    void anUpgradeUnderLoadLosesNoRequestAndLeavesNothingOfTheOldRunner() throws Exception {
        RunnerProcess old = runner(List.of("-w", "2"), demo());
        List<RunnerProcess.Worker> oldWorkers = old.awaitInRotation(2, BOOT);
        int port = old.publicPort(BOOT);
        assertEquals(old.pid(), pidIn(dir.resolve("pid")));
        // Kept-alive clients (moved over by a response that closes their connection) and a new
        // connection per request (accepted by whichever runner accepts from the shared queue).
        LoadClient kept = reaper.closeLater(new LoadClient(port, 8, true));
        LoadClient fresh = reaper.closeLater(new LoadClient(port, 2, false));
        old.await(() -> kept.ok.get() > 200 && fresh.ok.get() > 50, BOOT, "load to flow");

        CompletableFuture<Cli.Result> upgrade = CompletableFuture.supplyAsync(() -> cli("upgrade", "--wait"));
        long next = nextPid(old);
        Cli.Result result = upgrade.get(BOOT.toSeconds() * 2, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(0, result.code(), result.out() + result.err());
        assertTrue(result.out().contains("upgraded: the runner pid " + next + " serves now"), result.out());

        // The old runner lets its clients go, stops its workers and exits; the new one serves on.
        RunnerProcess.awaitDead(List.of(old.pid()), BOOT);
        RunnerProcess.awaitDead(oldWorkers.stream().map(RunnerProcess.Worker::pid).toList(), BOOT);
        long before = kept.ok.get() + fresh.ok.get();
        old.await(() -> kept.ok.get() + fresh.ok.get() > before + 200, BOOT, "load to flow on the new runner");
        fresh.close();
        kept.close();
        assertEquals(List.of(), kept.failures, "every kept-alive request answered 200");
        assertEquals(List.of(), fresh.failures, "every new-connection request answered 200");

        assertEquals(next, pidIn(dir.resolve("pid")), "the pid file follows the new runner");
        Cli.Result status = cli("status", "--json");
        assertEquals(0, status.code(), status.err());
        assertTrue(status.out().contains("\"pid\":" + next), status.out());
        assertTrue(old.output().contains("the runner pid " + old.pid() + " let go; this runner (pid " + next + ") is in charge"),
                old.output());
        assertFalse(Files.exists(dev.actorrunner.control.SocketPaths.handoverPath(old.pid(), System.getenv())),
                "the handover socket is removed");
        try (var left = Files.list(dir)) {
            assertEquals(List.of("c.sock", "pid"), left.map(p -> p.getFileName().toString()).sorted().toList(),
                    "only the new runner's socket and pid file");
        }
        assertTrue(Http.get(port).startsWith("hello from pid"));
    }

    @Test
    void anUpgradeToABadRunnerJarFailsAndTheOldRunnerServesOn() throws Exception {
        List<String> args = new ArrayList<>(List.of("-w", "1", "-p", "0", "--kill-timeout", "20s", "--control-socket",
                socket().toString(), "--pid-file", dir.resolve("pid").toString(), "--demo"));
        RunnerProcess old = reaper.closeLater(RunnerProcess.startJar(JAR, args));
        old.awaitInRotation(1, BOOT);
        int port = old.publicPort(BOOT);
        LoadClient fresh = reaper.closeLater(new LoadClient(port, 2, false));
        old.await(() -> fresh.ok.get() > 20, BOOT, "load to flow");

        Cli.Result missing = cli("upgrade", "--wait", "--runner-jar", dir.resolve("nowhere.jar").toString());
        assertEquals(2, missing.code(), missing.out() + missing.err());
        assertTrue(missing.err().contains("nowhere.jar: no such file"), missing.err());

        Path notAJar = Files.writeString(dir.resolve("broken.jar"), "not a jar");
        Cli.Result failed = cli("upgrade", "--wait", "--runner-jar", notAJar.toString());
        assertEquals(1, failed.code(), failed.out() + failed.err());
        assertTrue(failed.err().contains("exited with code 1 before it was ready"), failed.err());
        assertTrue(failed.err().contains("the runner (pid " + old.pid() + ") serves on"), failed.err());

        long before = fresh.ok.get();
        old.await(() -> fresh.ok.get() > before + 20, BOOT, "the old runner to serve on");
        fresh.close();
        assertEquals(List.of(), fresh.failures, "no request failed");
        assertEquals(old.pid(), pidIn(dir.resolve("pid")));
        assertTrue(Files.exists(socket()));
    }

    @Test
    void aNewRunnerThatExitsBeforeItIsReadyFailsTheUpgradeAndTheOldRunnerServesOn() throws Exception {
        Path config = Files.writeString(dir.resolve("runner.conf"), "actor-runner.drain-timeout = 5s\n");
        RunnerProcess old = runner(List.of("-w", "1", "--config", config.toString()), demo());
        old.awaitInRotation(1, BOOT);
        int port = old.publicPort(BOOT);
        LoadClient fresh = reaper.closeLater(new LoadClient(port, 2, false));
        old.await(() -> fresh.ok.get() > 20, BOOT, "load to flow");
        // The next runner reads the file anew at its start, and finds it broken: it exits with 2.
        Files.writeString(config, "actor-runner.drain-timeout = soon\n");

        Cli.Result failed = cli("upgrade", "--wait");
        assertEquals(1, failed.code(), failed.out() + failed.err());
        assertTrue(failed.err().contains("exited with code 2"), failed.err());
        assertTrue(failed.err().contains("serves on"), failed.err());

        long before = fresh.ok.get();
        old.await(() -> fresh.ok.get() > before + 20, BOOT, "the old runner to serve on");
        fresh.close();
        assertEquals(List.of(), fresh.failures, "no request failed while the new runner came and went");
        assertEquals(old.pid(), pidIn(dir.resolve("pid")));
        assertEquals(0, cli("status").code());
        // A second upgrade may start: the failed one is over.
        Files.writeString(config, "actor-runner.drain-timeout = 5s\n");
        Cli.Result ok = cli("upgrade", "--wait");
        assertEquals(0, ok.code(), ok.out() + ok.err());
        long next = reaper.register(Long.parseLong(ok.out().replaceAll("(?s).*the runner pid (\\d+) serves now.*", "$1")));
        RunnerProcess.awaitDead(List.of(old.pid()), BOOT);
        assertEquals(next, pidIn(dir.resolve("pid")));
    }

    @Test
    void sigkillOfTheOldRunnerMidHandoverLeavesTheNewOneServingAndNoOrphan() throws Exception {
        // Workers that get ready only once a file exists: the handover is held open until the test says.
        Path gate = dir.resolve("gate");
        Files.createFile(gate);
        RunnerProcess old = runner(List.of("-w", "1"), fixture("serve-when", gate.toString()));
        List<RunnerProcess.Worker> oldWorkers = old.awaitInRotation(1, BOOT);
        int port = old.publicPort(BOOT);
        Files.delete(gate);

        Cli.Result started = cli("upgrade");
        assertEquals(0, started.code(), started.out() + started.err());
        long next = nextPid(old);
        old.awaitLine(l -> l.contains("took 1 listening socket over from the runner pid " + old.pid()), BOOT,
                "the next runner to take the socket");
        // Meanwhile one upgrade at a time, and no reload.
        Cli.Result second = cli("upgrade");
        assertEquals(2, second.code(), second.out() + second.err());
        assertTrue(second.err().contains("an upgrade or the takeover of one is under way"), second.err());
        Cli.Result reload = cli("reload");
        assertEquals(1, reload.code(), reload.out() + reload.err());
        assertTrue(reload.err().contains("an upgrade of the runner is under way"), reload.err());
        old.signal("KILL");
        RunnerProcess.awaitDead(List.of(old.pid()), BOOT);
        // Its worker dies with it (the kernel's parent-death signal), the next runner lives on.
        RunnerProcess.awaitDead(oldWorkers.stream().map(RunnerProcess.Worker::pid).toList(), BOOT);
        assertTrue(RunnerProcess.alive(next), "the next runner died with the old one");

        // Connections queue in the shared socket meanwhile: none is refused; served once ready.
        CompletableFuture<String> queued = CompletableFuture.supplyAsync(() -> {
            try {
                return Http.get(port, BOOT);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        Files.createFile(gate);
        queued.get(BOOT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS); // Http.get throws unless 200
        old.await(() -> {
            try {
                return Files.exists(dir.resolve("pid")) && pidIn(dir.resolve("pid")) == next;
            } catch (IOException | NumberFormatException e) {
                return false;
            }
        }, BOOT, "the next runner to take the pid file over");
        Cli.Result status = cli("status", "--json");
        assertEquals(0, status.code(), status.err());
        assertTrue(status.out().contains("\"pid\":" + next), status.out());
        // (the new runner's own log went to the old one's stdout, a pipe the JDK closed when the old one died)
    }

    @Test
    void sigtermOfTheOldRunnerMidUpgradeStopsItAndTheNextRunnerToo() throws Exception {
        Path gate = dir.resolve("gate");
        Files.createFile(gate);
        RunnerProcess old = runner(List.of("-w", "1"), fixture("serve-when", gate.toString()));
        List<RunnerProcess.Worker> oldWorkers = old.awaitInRotation(1, BOOT);
        Files.delete(gate); // the next runner's worker never gets ready
        Cli.Result started = cli("upgrade");
        assertEquals(0, started.code(), started.out() + started.err());
        long next = nextPid(old);
        old.awaitLine(l -> l.contains("took 1 listening socket over"), BOOT, "the next runner to take the socket");
        List<Long> nextWorkers = ProcessHandle.of(next).map(p -> p.descendants().map(ProcessHandle::pid).toList())
                .orElse(List.of());
        old.signal("TERM"); // a stop is a stop: the upgrade is given up, and the next runner stopped with it
        assertEquals(0, old.awaitExit(BOOT), old.output());
        assertFalse(RunnerProcess.alive(next), "the next runner outlived the old one");
        RunnerProcess.awaitDead(oldWorkers.stream().map(RunnerProcess.Worker::pid).toList(), BOOT);
        RunnerProcess.awaitDead(nextWorkers, BOOT);
        assertTrue(old.output().contains("upgrade failed: this runner stopped"), old.output());
        assertFalse(Files.exists(dev.actorrunner.control.SocketPaths.handoverPath(old.pid(), System.getenv())));
        assertFalse(Files.exists(socket()));
    }
}
