package dev.actorrunner.process;

import static dev.actorrunner.fixtures.Processes.fixture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.actorrunner.config.RunnerSettings.PortRange;
import dev.actorrunner.fixtures.CapturedLog;
import dev.actorrunner.fixtures.Processes;
import dev.actorrunner.fixtures.Reaper;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Against real processes: fixture JVMs and small shell commands. */
class OsProcessLauncherTest {

    private static final Duration START = Duration.ofSeconds(30);
    private static final PortRange PORTS = new PortRange(22000, 22999);
    private static final Pattern CHILD_PID = Pattern.compile("child pid (\\d+)");

    @RegisterExtension
    final Reaper reaper = new Reaper();
    private final OsProcessLauncher launcher = new OsProcessLauncher(PORTS);
    private final CapturedLog appLog = new CapturedLog("app");

    @TempDir
    Path dir;

    @AfterEach
    void closeLauncherAndLog() {
        launcher.close(); // the reaper's afterEach runs after this and kills whatever is left
        appLog.close();
    }

    private WorkerProcess launch(int id, List<String> command, String readyLine) throws Exception {
        LaunchSpec spec = new LaunchSpec(id, 4, command, "PORT", Map.of(),
                Optional.ofNullable(readyLine).map(Pattern::compile));
        WorkerProcess worker = launcher.launch(spec).toCompletableFuture().get(30, TimeUnit.SECONDS);
        reaper.register(worker.pid());
        return worker;
    }

    private static <T> T await(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(START.toSeconds(), TimeUnit.SECONDS);
    }

    @Test
    void logsEveryLineOfAWorkerIncludingTheUnterminatedLastOne() throws Exception {
        WorkerProcess worker = launch(7, fixture("print-lines", "3000"), null);
        assertEquals(0, await(worker.exited()).code());

        // exited() completes only after both streams hit EOF: no waiting for the log here.
        List<String> lines = appLog.messages().stream()
                .filter(m -> m.startsWith("[worker 7 pid " + worker.pid() + "] line ")).toList();
        assertEquals(3000, lines.size());
        assertEquals("[worker 7 pid " + worker.pid() + "] line 3000", lines.get(2999));
        ILoggingEvent last = appLog.events().get(appLog.events().size() - 1);
        assertEquals(Map.of("worker", "7", "generation", "4", "pid", String.valueOf(worker.pid()),
                "stream", "stdout"), last.getMDCPropertyMap());
    }

    @Test
    void stderrLinesAreLoggedWithTheirStream() throws Exception {
        WorkerProcess worker = launch(2, List.of("sh", "-c", "echo out; echo oops >&2"), null);
        await(worker.exited());
        assertTrue(appLog.messages().contains("[worker 2 pid " + worker.pid() + "] out"));
        assertTrue(appLog.messages().contains("[worker 2 pid " + worker.pid() + " stderr] oops"));
    }

    @Test
    void exitedCarriesTheExitCode() throws Exception {
        WorkerProcess worker = launch(1, fixture("exit-at-once", "3"), null);
        ExitStatus status = await(worker.exited());
        assertEquals(3, status.code());
        assertEquals(0, status.signal());
        assertFalse(worker.isAlive());
    }

    @Test
    void terminateSendsSigtermAndAJavaWorkerExits143() throws Exception {
        WorkerProcess worker = launch(1, fixture("serve"), "listening on");
        await(worker.readyLine());
        worker.terminate();
        ExitStatus status = await(worker.exited());
        assertEquals(143, status.code());
        assertEquals(15, status.signal());
    }

    @Test
    void killEndsTheWorkerAndTheProcessesItStarted() throws Exception {
        WorkerProcess worker = launch(1, fixture("spawn-child"), "child pid");
        await(worker.readyLine());
        long grandchild = sleepChildOf(worker.pid());

        worker.kill();

        assertTrue(worker.exited().toCompletableFuture().get(5, TimeUnit.SECONDS).killedBySigkill());
        assertTrue(Processes.awaitDead(grandchild, Duration.ofSeconds(2)), "grandchild still alive");
    }

    @Test
    void grandchildrenLeftBehindByAnExitingWorkerAreKilled() throws Exception {
        WorkerProcess worker = launch(1, fixture("spawn-child"), "child pid");
        await(worker.readyLine());
        long grandchild = sleepChildOf(worker.pid());

        worker.terminate(); // the JVM exits on SIGTERM and leaves its child behind

        assertEquals(143, await(worker.exited()).code());
        assertTrue(Processes.awaitDead(grandchild, Duration.ofSeconds(2)), "grandchild still alive");
    }

    @Test
    void exitedDoesNotWaitForeverForAGrandchildHoldingTheOutputPipe() throws Exception {
        long start = System.nanoTime();
        WorkerProcess worker = launch(1, fixture("orphan-output"), null);
        ExitStatus status = await(worker.exited());
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertEquals(0, status.code());
        long grandchild = appLog.messages().stream().map(CHILD_PID::matcher).filter(Matcher::find)
                .mapToLong(m -> Long.parseLong(m.group(1))).findFirst().orElseThrow();
        reaper.register(grandchild);
        assertTrue(Processes.isAlive(grandchild), "the grandchild left the group on purpose and holds the pipe");
        // At least the grace (so the pipe really was held), and not much more.
        assertTrue(took.compareTo(OsWorkerProcess.OUTPUT_GRACE) >= 0, "took " + took);
        assertTrue(took.compareTo(Duration.ofSeconds(10)) < 0, "took " + took);
    }

    @Test
    void portIsSubstitutedInArgsAndExportedInTheEnvironment() throws Exception {
        WorkerProcess worker = launch(1, fixture("print-port", "--server.port={port}"), null);
        await(worker.exited());
        int port = worker.port();
        assertTrue(port >= PORTS.from() && port <= PORTS.to(), "port " + port);
        assertTrue(appLog.messages().contains("[worker 1 pid " + worker.pid() + "] PORT=" + port
                + " args=[--server.port=" + port + "]"), appLog.messages().toString());
    }

    @Test
    void aPortSomethingElseListensOnIsSkipped() throws Exception {
        int from = 22990;
        while (!PortAllocator.isFree(from) || !PortAllocator.isFree(from + 1)) from += 2;
        OsProcessLauncher narrow = new OsProcessLauncher(new PortRange(from, from + 1));
        reaper.<AutoCloseable>closeLater(narrow::close);
        try (ServerSocket busy = new ServerSocket()) {
            busy.bind(new InetSocketAddress("127.0.0.1", from));
            WorkerProcess worker = narrow.launch(new LaunchSpec(1, 1, List.of("sleep", "30"), "PORT",
                    Map.of(), Optional.empty())).toCompletableFuture().get(10, TimeUnit.SECONDS);
            reaper.register(worker.pid());
            assertEquals(from + 1, worker.port());
        }
    }

    @Test
    void twoLiveWorkersNeverShareAPort() throws Exception {
        WorkerProcess a = launch(1, List.of("sleep", "30"), null);
        WorkerProcess b = launch(2, List.of("sleep", "30"), null);
        assertFalse(a.port() == b.port());
    }

    @Test
    void missingCommandFailsTheStageWithOneLine() {
        LaunchSpec spec = new LaunchSpec(1, 1, List.of("no-such-command-xyz", "--flag"), "PORT",
                Map.of(), Optional.empty());
        CompletableFuture<WorkerProcess> stage = launcher.launch(spec).toCompletableFuture();
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> stage.get(10, TimeUnit.SECONDS));
        LaunchException cause = assertInstanceOf(LaunchException.class, e.getCause());
        assertEquals("cannot start \"no-such-command-xyz\": No such file or directory", cause.getMessage());
    }

    @Test
    void fileWithoutExecutePermissionFailsTheStage() throws Exception {
        Path script = Files.writeString(dir.resolve("app.sh"), "#!/bin/sh\necho hi\n");
        LaunchSpec spec = new LaunchSpec(1, 1, List.of(script.toString()), "PORT", Map.of(), Optional.empty());
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> launcher.launch(spec).toCompletableFuture().get(10, TimeUnit.SECONDS));
        assertEquals("cannot start \"" + script + "\": Permission denied", e.getCause().getMessage());
    }

    @Test
    void pidIsTheAppsOwnAndLeadsItsOwnSessionAndGroup() throws Exception {
        WorkerProcess worker = launch(1, fixture("serve"), "listening on");
        await(worker.readyLine());
        List<String> argv = Processes.cmdline(worker.pid());
        // setsid and setpriv exec'd in place: no wrapper process sits between us and the app.
        assertTrue(argv.get(0).endsWith("/java"), argv.toString());
        assertTrue(argv.contains("dev.actorrunner.fixtures.FixtureApp"), argv.toString());
        assertEquals(worker.pid(), Processes.pgid(worker.pid()));
        assertEquals(worker.pid(), Processes.sid(worker.pid()));
        assertTrue(appLog.messages().contains("[worker 1 pid " + worker.pid() + "] listening on 127.0.0.1:"
                + worker.port() + " (pid " + worker.pid() + ")"));
    }

    @Test
    void workerOutlivesTheThreadThatAskedForIt() throws Exception {
        // pdeathsig fires when the spawning thread exits: the launcher must not spawn on the caller's.
        CompletableFuture<WorkerProcess> launched = new CompletableFuture<>();
        Thread caller = new Thread(() -> launcher.launch(new LaunchSpec(1, 1, fixture("serve"), "PORT",
                Map.of(), Optional.of(Pattern.compile("listening on")))).whenComplete((w, e) -> {
                    if (w != null) launched.complete(w); else launched.completeExceptionally(e);
                }));
        caller.start();
        caller.join();
        WorkerProcess worker = await(launched);
        reaper.register(worker.pid());
        // A JVM takes long enough to start for a spurious SIGKILL to land first.
        Object first = await(CompletableFuture.anyOf(worker.readyLine().toCompletableFuture(),
                worker.exited().toCompletableFuture()));
        assertEquals(null, first, "worker died before it was listening: " + first);
        assertTrue(worker.isAlive());
    }

    @Test
    void launchAfterCloseFails() {
        launcher.close();
        LaunchSpec spec = new LaunchSpec(1, 1, List.of("sleep", "1"), "PORT", Map.of(), Optional.empty());
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> launcher.launch(spec).toCompletableFuture().get(10, TimeUnit.SECONDS));
        assertInstanceOf(LaunchException.class, e.getCause());
    }

    private static long sleepChildOf(long pid) {
        return ProcessHandle.of(pid).orElseThrow().children()
                .filter(p -> p.info().command().orElse("").endsWith("sleep"))
                .findFirst().orElseThrow().pid();
    }
}
