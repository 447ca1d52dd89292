package dev.actorrunner.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import dev.actorrunner.ActorRunner;
import dev.actorrunner.RunnerEvent;
import dev.actorrunner.RunnerStatus;
import dev.actorrunner.config.RunnerSettings;
import dev.actorrunner.control.ControlProtocol.Reply;
import dev.actorrunner.control.ControlProtocol.Request;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control socket over a real Unix socket, against a scripted runner (a probe): what each
 * request becomes in messages, in which order, and what the client reads back.
 */
class ControlServerTest {
    private static final ActorTestKit kit = ActorTestKit.create();
    private static final Instant T0 = Instant.parse("2030-01-01T10:00:00Z");

    @TempDir
    Path dir;
    private TestProbe<ActorRunner.Command> runner;
    private ControlServer server;
    private Path socket;

    @AfterAll
    static void shutdown() {
        kit.shutdownTestKit();
    }

    @BeforeEach
    void start() throws IOException {
        runner = kit.createTestProbe();
        socket = dir.resolve("c.sock");
        server = ControlServer.bind(socket, false, Map.of(), host());
        server.serve(new RunnerHandle(kit.system(), runner.ref()));
    }

    @AfterEach
    void stop() {
        server.close(0);
    }

    private static StatusView.HostInfo host() {
        return new StatusView.HostInfo(ProcessHandle.current().pid(), "test", List.of("127.0.0.1:8080"), "", null);
    }

    private static RunnerStatus status(int generation, boolean reloading, boolean queued, boolean stopping,
                                       Optional<RunnerStatus.ReloadResult> last) {
        return new RunnerStatus("app.jar", 2, generation, reloading, stopping, 0, List.of(
                new RunnerStatus.Worker(1, 1, ProcessHandle.current().pid(), 20001, RunnerStatus.State.READY, T0, T0, 0, 3)),
                T0, reloading ? Optional.of(new RunnerStatus.ReloadProgress(generation, T0, 2, 0)) : Optional.empty(),
                queued, last, RunnerStatus.ReloadTotals.NONE);
    }

    /** What a client sees: the progress lines and the final reply. */
    private record Seen(List<String> progress, Reply last) {}

    private CompletableFuture<Seen> client(Request request) {
        return CompletableFuture.supplyAsync(() -> {
            List<String> progress = new CopyOnWriteArrayList<>();
            try {
                Reply last = ControlClient.exchange(socket, request, p -> progress.add(p.message()));
                return new Seen(progress, last);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
    }

    private void answerStatus(RunnerStatus s) {
        runner.expectMessageClass(ActorRunner.GetStatus.class).replyTo().tell(s);
    }

    private static Seen done(CompletableFuture<Seen> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
    }

    @Test
    void theSocketIsTheOwnersOnly() throws IOException {
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
    }

    @Test
    void statusAsksTheRunnerAndAddsWhatTheHostKnows() throws Exception {
        CompletableFuture<Seen> seen = client(Request.status());
        answerStatus(status(1, false, false, false, Optional.empty()));
        Reply reply = done(seen).last();
        assertTrue(reply.ok(), reply.toString());
        @SuppressWarnings("unchecked")
        Map<String, Object> s = (Map<String, Object>) reply.fields().get("status");
        assertEquals(List.of("127.0.0.1:8080"), s.get("addresses"));
        assertEquals(socket.toString(), ((Map<?, ?>) s.get("runner")).get("controlSocket"));
        Map<?, ?> worker = (Map<?, ?>) ((List<?>) s.get("workers")).get(0);
        assertEquals(3L, worker.get("connections"));
        assertTrue(((Number) worker.get("rssBytes")).longValue() > 0, "this JVM's own tree has an RSS");
    }

    /** The runner's answer to the Reload the client's request became. */
    private void answerReload(ActorRunner.ReloadReply reply) {
        runner.expectMessageClass(ActorRunner.Reload.class).replyTo().tell(reply);
    }

    @Test
    void reloadSendsReloadAndSaysWhichReloadItBecame() throws Exception {
        CompletableFuture<Seen> seen = client(Request.reload(false));
        answerReload(new ActorRunner.ReloadAccepted(2, false, 2));
        Seen s = done(seen);
        assertEquals("reload 2 started: replacing 2 worker(s)", s.last().message());
        assertTrue(s.last().ok());
    }

    @Test
    void reloadWaitRelaysTheStepsAndEndsOkWhenTheReloadCompletes() throws Exception {
        CompletableFuture<Seen> seen = client(Request.reload(true));
        ActorRef<RunnerEvent> events = runner.expectMessageClass(ActorRunner.Subscribe.class).subscriber();
        answerReload(new ActorRunner.ReloadAccepted(2, false, 2));
        events.tell(new RunnerEvent.ReloadStarted(2));
        events.tell(new RunnerEvent.WorkerStarted(3, 2, 103, 20003));
        events.tell(new RunnerEvent.WorkerListening(3, 2, 103, 20003));
        events.tell(new RunnerEvent.WorkerDraining(1, 1, 101));
        events.tell(new RunnerEvent.ReloadStep(2, RunnerEvent.ReloadStep.Kind.READY, 3, Duration.ofMillis(1450),
                Duration.ZERO, List.of(1), 1, 1));
        events.tell(new RunnerEvent.ReloadServing(2, Duration.ofMillis(1500), 1));
        events.tell(new RunnerEvent.WorkerExited(1, 1, 101, 143, "signal 15 (TERM)", true));
        events.tell(new RunnerEvent.ReloadCompleted(2, Duration.ofMillis(2100), Duration.ofMillis(1500), 2));
        Seen s = done(seen);
        assertEquals("reload 2 started: replacing 2 worker(s)", s.progress().get(0));
        assertEquals("worker 3 started (pid 103)", s.progress().get(1));
        assertTrue(s.progress().get(2).matches("worker 3 ready in \\d+\\.\\ds, draining worker 1"), s.progress().get(2));
        // Every worker in rotation is new: said, and then the old one's exit is awaited.
        assertEquals("reload 2 serving after 1.5s: every worker in rotation is new; waiting for 1 old worker(s) to exit",
                s.progress().get(3));
        assertEquals("worker 1 exited (signal 15 (TERM))", s.progress().get(4));
        assertEquals(5, s.progress().size(), s.progress().toString());
        assertTrue(s.last().ok());
        assertEquals("reload 2 completed in 2.1s (serving after 1.5s): 2 worker(s) replaced", s.last().message());
        runner.expectMessageClass(ActorRunner.Unsubscribe.class);
    }

    @Test
    void reloadWaitEndsNotOkWithTheReasonWhenTheReloadIsAborted() throws Exception {
        CompletableFuture<Seen> seen = client(Request.reload(true));
        ActorRef<RunnerEvent> events = runner.expectMessageClass(ActorRunner.Subscribe.class).subscriber();
        answerReload(new ActorRunner.ReloadAccepted(2, false, 2));
        events.tell(new RunnerEvent.WorkerStarted(3, 2, 103, 20003));
        events.tell(new RunnerEvent.WorkerExited(3, 2, 103, 1, "exit code 1", false));
        events.tell(new RunnerEvent.ReloadAborted(2, "worker 3 (pid 103, gen 2) exited with exit code 1"));
        Seen s = done(seen);
        assertTrue(s.progress().contains("worker 3 failed: exit code 1"), s.progress().toString());
        assertFalse(s.last().ok());
        assertEquals("reload 2 aborted: worker 3 (pid 103, gen 2) exited with exit code 1", s.last().message());
    }

    @Test
    void aReloadQueuedBehindARunningOneWaitsForTheNextGeneration() throws Exception {
        CompletableFuture<Seen> seen = client(Request.reload(true));
        ActorRef<RunnerEvent> events = runner.expectMessageClass(ActorRunner.Subscribe.class).subscriber();
        answerReload(new ActorRunner.ReloadAccepted(3, true, 0));
        events.tell(new RunnerEvent.WorkerStarted(3, 2, 103, 20003)); // reload 2's: not ours
        events.tell(new RunnerEvent.ReloadCompleted(2, Duration.ofSeconds(1)));
        events.tell(new RunnerEvent.ReloadStarted(3));
        events.tell(new RunnerEvent.ReloadAborted(3, "boom"));
        Seen s = done(seen);
        assertEquals(List.of("reload 3 queued: it follows reload 2, now running",
                "reload 2 completed; reload 3 follows", "reload 3 started"), s.progress());
        assertEquals("reload 3 aborted: boom", s.last().message());
    }

    @Test
    void reloadWaitSaysEachChangeAndTheAppJarOnALineOfItsOwn() throws Exception {
        CompletableFuture<Seen> seen = client(Request.reload(true));
        ActorRef<RunnerEvent> events = runner.expectMessageClass(ActorRunner.Subscribe.class).subscriber();
        answerReload(new ActorRunner.ReloadAccepted(2, false, 2));
        events.tell(new RunnerEvent.ReloadStarted(2, List.of("jvm-options: [-Xmx256m] -> [-Xmx512m]", "env: A changed"),
                java.util.Optional.of(new RunnerStatus.AppJar(Path.of("/srv/app.jar"), "ab12", ""))));
        events.tell(new RunnerEvent.ReloadAborted(2, "boom"));
        Seen s = done(seen);
        assertEquals(List.of("reload 2 started: replacing 2 worker(s)", "jvm-options: [-Xmx256m] -> [-Xmx512m]",
                "env: A changed", "app jar /srv/app.jar sha256 ab12"), s.progress());
    }

    @Test
    void aRefusedReloadEndsNotOkWithEachProblemOnALineAsAtStart() throws Exception {
        CompletableFuture<Seen> seen = client(Request.reload(true));
        runner.expectMessageClass(ActorRunner.Subscribe.class);
        answerReload(new ActorRunner.ReloadRefused(List.of("config: a: bad", "config: b: bad")));
        Seen s = done(seen);
        assertEquals(List.of(), s.progress());
        assertFalse(s.last().ok());
        assertEquals("config: a: bad\nconfig: b: bad\nreload refused: nothing was started, the workers serve on",
                s.last().message());
    }

    @Test
    void aReloadIsWhatTheHostMakesOfIt() throws Exception {
        ActorRunner.Reload made = ActorRunner.Reload.with(RunnerSettings.builder(List.of("app")).build());
        server.close(0);
        server = ControlServer.bind(socket, false, Map.of(), host());
        server.serve(new RunnerHandle(kit.system(), runner.ref(), () -> made));
        CompletableFuture<Seen> seen = client(Request.reload(false));
        ActorRunner.Reload sent = runner.expectMessageClass(ActorRunner.Reload.class);
        assertEquals(made.settings(), sent.settings(), "the host's settings, answered to the session");
        sent.replyTo().tell(new ActorRunner.ReloadAccepted(2, false, 2));
        assertTrue(done(seen).last().ok());
    }

    @Test
    void reloadWhileStoppingIsAnError() throws Exception {
        CompletableFuture<Seen> seen = client(Request.reload(false));
        answerReload(new ActorRunner.Refused("the runner is stopping"));
        Reply r = done(seen).last();
        assertEquals("error", r.type());
        assertEquals("the runner is stopping: no reload", r.message());
    }

    @Test
    void scaleSaysFromWhatToWhat() throws Exception {
        CompletableFuture<Seen> seen = client(Request.scale(-1, true));
        ActorRunner.Scale scale = runner.expectMessageClass(ActorRunner.Scale.class);
        assertEquals(List.of(-1, true), List.of(scale.amount(), scale.relative()));
        scale.replyTo().tell(new ActorRunner.ScaleAccepted(2, 1));
        assertEquals("scaling from 2 to 1 worker(s)", done(seen).last().message());
    }

    @Test
    void stopWaitRelaysExitsAndEndsWhenTheRunnerStops() throws Exception {
        CompletableFuture<Seen> seen = client(Request.stop(true));
        answerStatus(status(1, false, false, false, Optional.empty()));
        ActorRef<RunnerEvent> events = runner.expectMessageClass(ActorRunner.Subscribe.class).subscriber();
        runner.expectMessageClass(ActorRunner.StopAll.class).replyTo().tell(new ActorRunner.StopAccepted(1, false));
        events.tell(new RunnerEvent.WorkerExited(1, 1, 101, 143, "signal 15 (TERM)", true));
        events.tell(new RunnerEvent.Stopped(RunnerEvent.Stopped.Reason.REQUESTED));
        Seen s = done(seen);
        assertEquals(List.of("stopping 1 worker(s)", "worker 1 exited (signal 15 (TERM))"), s.progress());
        assertEquals("the runner stopped", s.last().message());
    }

    @Test
    void aStopWaitStillGetsItsLastLineWhenTheRunnerExitsFirst() throws Exception {
        CompletableFuture<Seen> seen = client(Request.stop(true));
        answerStatus(status(1, false, false, false, Optional.empty()));
        runner.expectMessageClass(ActorRunner.Subscribe.class);
        runner.expectMessageClass(ActorRunner.StopAll.class); // and the runner's system ends before it answers
        server.close(0); // the host closes the server after the runner's system has ended
        assertEquals("the runner stopped", done(seen).last().message());
        assertFalse(Files.exists(socket), "the socket file is removed");
    }

    @Test
    void aRunnerThatDoesNotAnswerIsAnErrorNotAHang() throws Exception {
        CompletableFuture<Seen> seen = client(Request.status());
        runner.expectMessageClass(ActorRunner.GetStatus.class); // and never answered
        Reply r = done(seen).last();
        assertEquals("error", r.type());
        assertEquals("the runner did not answer within 5s", r.message());
    }

    @Test
    void aBadRequestGetsOneErrorLine() throws Exception {
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            c.write(ByteBuffer.wrap("{\"command\":\"restart\"}\n".getBytes(StandardCharsets.UTF_8)));
            ByteBuffer in = ByteBuffer.allocate(1024);
            while (c.read(in) >= 0) { /* until the server closes */ }
            String answer = new String(in.array(), 0, in.position(), StandardCharsets.UTF_8);
            assertEquals("{\"type\":\"error\",\"message\":\"unknown command \\\"restart\\\"\"}\n", answer);
        }
    }

    /** What the server answers to raw bytes, until it closes the connection. */
    private String raw(String sent, boolean shutdownOutput) throws IOException {
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            c.write(ByteBuffer.wrap(sent.getBytes(StandardCharsets.UTF_8)));
            if (shutdownOutput) c.shutdownOutput();
            ByteBuffer in = ByteBuffer.allocate(1024);
            while (c.read(in) >= 0) { /* until the server closes */ }
            return new String(in.array(), 0, in.position(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void aRequestTooLongOrWithoutItsLineEndGetsOneErrorLine() throws Exception {
        assertEquals("{\"type\":\"error\",\"message\":\"request longer than 4096 bytes\"}\n",
                raw("{\"command\":\"" + "x".repeat(5000) + "\"}\n", false));
        assertEquals("{\"type\":\"error\",\"message\":\"no request line\"}\n", raw("{\"command\":\"status\"}", true));
        runner.expectNoMessage(Duration.ofMillis(200));
    }

    @Test
    void aClientThatGoesAwayDuringReloadWaitIsUnsubscribedAndTheReloadGoesOn() throws Exception {
        SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket));
        c.write(ByteBuffer.wrap((Request.reload(true).toJson() + "\n").getBytes(StandardCharsets.UTF_8)));
        ActorRef<RunnerEvent> events = runner.expectMessageClass(ActorRunner.Subscribe.class).subscriber();
        answerReload(new ActorRunner.ReloadAccepted(2, false, 2));
        c.close(); // Ctrl-C
        assertEquals(events, runner.expectMessageClass(ActorRunner.Unsubscribe.class).subscriber());
        runner.expectNoMessage(Duration.ofMillis(200)); // no StopAll, no second Reload: the reload is the runner's
    }

    @Test
    void aSecondRunnerOnTheSamePathIsRefusedButAStaleSocketIsReplaced() throws Exception {
        IOException live = assertThrows(IOException.class, () -> ControlServer.bind(socket, false, Map.of(), host()));
        assertEquals(socket + ": another runner listens there", live.getMessage());

        Path stale = dir.resolve("stale.sock");
        ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        dead.bind(UnixDomainSocketAddress.of(stale));
        dead.close(); // the file stays, as after a SIGKILL
        assertTrue(Files.exists(stale));
        ControlServer.bind(stale, false, Map.of(), host()).close(0);

        Path file = Files.writeString(dir.resolve("file.sock"), "not a socket");
        IOException notSocket = assertThrows(IOException.class, () -> ControlServer.bind(file, false, Map.of(), host()));
        assertEquals(file + ": exists and is not a socket", notSocket.getMessage());
    }

    @Test
    void aSymlinkPlantedAtTheSocketPathIsRefusedAndItsTargetLeftAlone() throws Exception {
        Path victim = Files.writeString(dir.resolve("victim"), "precious");
        Files.setPosixFilePermissions(victim, PosixFilePermissions.fromString("rw-r--r--"));
        Path link = Files.createSymbolicLink(dir.resolve("link.sock"), victim);
        IOException e = assertThrows(IOException.class, () -> ControlServer.bind(link, false, Map.of(), host()));
        assertEquals(link + ": exists and is a symbolic link, not a socket", e.getMessage());
        assertEquals("precious", Files.readString(victim));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(victim)));
        assertTrue(Files.isSymbolicLink(link), "the link is not removed either");

        // A dangling link: following it would create the socket wherever it points.
        Path elsewhere = dir.resolve("elsewhere.sock");
        Path dangling = Files.createSymbolicLink(dir.resolve("dangling.sock"), elsewhere);
        assertThrows(IOException.class, () -> ControlServer.bind(dangling, false, Map.of(), host()));
        assertFalse(Files.exists(elsewhere, LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void aFifoAtTheSocketPathIsNotMistakenForAStaleSocket() throws Exception {
        Path fifo = dir.resolve("fifo.sock");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assertTrue(mkfifo.waitFor(10, TimeUnit.SECONDS));
        assertEquals(0, mkfifo.exitValue());
        IOException e = assertThrows(IOException.class, () -> ControlServer.bind(fifo, false, Map.of(), host()));
        assertEquals(fifo + ": exists and is not a socket", e.getMessage());
        assertTrue(Files.exists(fifo, LinkOption.NOFOLLOW_LINKS), "left where it was");
    }

    @Test
    void aDirectoryOthersMayWriteToIsRefusedUnlessSticky() throws Exception {
        Path open = Files.createDirectory(dir.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        IOException e = assertThrows(IOException.class,
                () -> ControlServer.bind(open.resolve("c.sock"), false, Map.of(), host()));
        assertEquals(open + ": mode rwxrwxrwx, others may write to it and it is not sticky:"
                + " another user could replace the socket there", e.getMessage());
        assertFalse(Files.exists(open.resolve("c.sock")));

        chmod(open, "1777"); // as /tmp: only an entry's owner may remove or rename it
        ControlServer.bind(open.resolve("c.sock"), false, Map.of(), host()).close(0);
    }

    @Test
    void aDirectoryOfAnotherUserIsRefused() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root to give a directory away");
        Path theirs = Files.createDirectory(dir.resolve("theirs"));
        Files.setOwner(theirs, theirs.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));
        IOException e = assertThrows(IOException.class,
                () -> ControlServer.bind(theirs.resolve("c.sock"), false, Map.of(), host()));
        assertEquals(theirs + ": owned by nobody, not root: another user could replace the socket there",
                e.getMessage());
    }

    @Test
    void closeLeavesASocketThatAnotherRunnerTookOver() throws Exception {
        Files.delete(socket); // someone removed ours; a second runner binds the same path
        ControlServer second = ControlServer.bind(socket, false, Map.of(), host());
        try {
            server.close(0);
            assertTrue(Files.exists(socket), "the second runner's socket survives the first one's exit");
            SocketChannel.open(UnixDomainSocketAddress.of(socket)).close();
        } finally {
            second.close(0);
        }
        assertFalse(Files.exists(socket));
    }

    private static void chmod(Path path, String octal) throws Exception {
        Process chmod = new ProcessBuilder("chmod", octal, path.toString()).start();
        assertTrue(chmod.waitFor(10, TimeUnit.SECONDS));
        assertEquals(0, chmod.exitValue());
    }

    /**
     * Another user (nobody, through setpriv, so only when the tests run as root): the socket's mode
     * keeps it out; and were the mode wrong, the peer check would still refuse it. The client is a
     * JDK-only source file, since nobody cannot read the build's class path.
     */
    @Test
    void anotherUserCanNeitherOpenTheSocketNorPassThePeerCheck() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root to act as another user");
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "needs setpriv (util-linux)");
        Path shared = Files.createTempDirectory(Path.of("/tmp"), "actor-runner-peer-");
        try {
            Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwx--x--x"));
            Path client = Files.writeString(shared.resolve("Peer.java"), """
                    import java.net.*; import java.nio.*; import java.nio.channels.*; import java.nio.charset.*;
                    public class Peer { public static void main(String[] a) {
                      try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(a[0]))) {
                        c.write(ByteBuffer.wrap("{\\"command\\":\\"status\\"}\\n".getBytes(StandardCharsets.UTF_8)));
                        ByteBuffer in = ByteBuffer.allocate(4096);
                        while (c.read(in) >= 0) { }
                        System.out.print(new String(in.array(), 0, in.position(), StandardCharsets.UTF_8));
                      } catch (Exception e) { System.out.println("EXCEPTION " + e.getMessage()); }
                    } }
                    """);
            Files.setPosixFilePermissions(client, PosixFilePermissions.fromString("rw-r--r--"));
            Path path = shared.resolve("c.sock");
            ControlServer other = ControlServer.bind(path, false, Map.of(), host());
            try {
                other.serve(new RunnerHandle(kit.system(), runner.ref()));
                assertTrue(asNobody(client, path).contains("Permission denied"), "mode 600 keeps others out");
                Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-rw-rw-"));
                assertEquals("{\"type\":\"error\",\"message\":\"refused: the runner belongs to root\"}\n",
                        asNobody(client, path));
                runner.expectNoMessage(Duration.ofMillis(200));
            } finally {
                other.close(0);
            }
        } finally {
            try (var files = Files.list(shared)) {
                for (Path f : files.toList()) Files.deleteIfExists(f);
            }
            Files.delete(shared);
        }
    }

    private static String asNobody(Path source, Path socket) throws Exception {
        Process p = new ProcessBuilder("/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m", "-XX:TieredStopAtLevel=1",
                "-XX:-UsePerfData", source.toString(), socket.toString())
                .redirectErrorStream(true).directory(source.getParent().toFile()).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), out);
            return out;
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void aClientOfNoRunnerIsToldInOneLine() {
        ControlClient.Unreachable e = assertThrows(ControlClient.Unreachable.class,
                () -> ControlClient.exchange(dir.resolve("none.sock"), Request.status(), p -> {}));
        assertEquals("no runner listens on " + dir.resolve("none.sock") + " (no such socket)", e.getMessage());
    }

    @Test
    void theDefaultDirectoryIsMadeOwnerOnlyAndAnOpenOneIsRefused() throws Exception {
        Path xdg = Files.createDirectory(dir.resolve("xdg"));
        Path viaXdg = SocketPaths.defaultPath(42, Map.of("XDG_RUNTIME_DIR", xdg.toString()));
        assertEquals(xdg.resolve("actor-runner-42.sock"), viaXdg);

        String tmp = System.getProperty("java.io.tmpdir");
        System.setProperty("java.io.tmpdir", dir.toString());
        try {
            Path path = SocketPaths.defaultPath(42, Map.of());
            assertEquals(dir, path.getParent().getParent());
            SocketPaths.preparePrivateDir(path, Map.of());
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(path.getParent())));
            // Sockets of killed runners (dead pids) are cleared away; a live runner's stays.
            Path dead = Files.createFile(path.getParent().resolve("99999999.sock"));
            Path live = Files.createFile(path.getParent().resolve(ProcessHandle.current().pid() + ".sock"));
            assertEquals(List.of(live), SocketPaths.candidates(Map.of()));
            SocketPaths.removeDead(path, Map.of());
            assertFalse(Files.exists(dead));
            assertTrue(Files.exists(live));
            Files.setPosixFilePermissions(path.getParent(), PosixFilePermissions.fromString("rwxrwxrwx"));
            IOException open = assertThrows(IOException.class, () -> SocketPaths.preparePrivateDir(path, Map.of()));
            assertTrue(open.getMessage().contains("mode rwxrwxrwx, expected rwx------"), open.getMessage());
        } finally {
            System.setProperty("java.io.tmpdir", tmp);
        }
    }

    @Test
    void aPlantedDefaultDirectoryIsRefusedNotUsed() throws Exception {
        String tmp = System.getProperty("java.io.tmpdir");
        System.setProperty("java.io.tmpdir", dir.toString());
        try {
            Path path = SocketPaths.defaultPath(42, Map.of());
            Path own = path.getParent();
            Path elsewhere = Files.createDirectory(dir.resolve("elsewhere"));
            Files.createSymbolicLink(own, elsewhere);
            IOException link = assertThrows(IOException.class, () -> ControlServer.bind(path, true, Map.of(), host()));
            assertEquals(own + ": a symbolic link, not a directory (remove it, or give --control-socket PATH)",
                    link.getMessage());
            try (var inside = Files.list(elsewhere)) {
                assertEquals(0, inside.count(), "nothing was created through the link");
            }

            Files.delete(own);
            Files.writeString(own, "planted");
            IOException file = assertThrows(IOException.class, () -> ControlServer.bind(path, true, Map.of(), host()));
            assertEquals(own + ": not a directory (remove it, or give --control-socket PATH)", file.getMessage());
            assertEquals("planted", Files.readString(own));

            Files.delete(own);
            Files.createDirectory(own, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            if ("root".equals(System.getProperty("user.name"))) {
                Files.setOwner(own, own.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));
                IOException theirs = assertThrows(IOException.class,
                        () -> ControlServer.bind(path, true, Map.of(), host()));
                assertEquals(own + ": owned by nobody, not root (remove it, or give --control-socket PATH)",
                        theirs.getMessage());
                assertFalse(Files.exists(path));
            }
        } finally {
            System.setProperty("java.io.tmpdir", tmp);
        }
    }

    @Test
    void anXdgRuntimeDirOthersMayEnterIsRefused() throws Exception {
        Path xdg = Files.createDirectory(dir.resolve("xdg"));
        Files.setPosixFilePermissions(xdg, PosixFilePermissions.fromString("rwxr-xr-x"));
        Map<String, String> env = Map.of("XDG_RUNTIME_DIR", xdg.toString());
        Path path = SocketPaths.defaultPath(42, env);
        IOException e = assertThrows(IOException.class, () -> ControlServer.bind(path, true, env, host()));
        assertEquals(xdg + ": mode rwxr-xr-x, expected rwx------ (XDG_RUNTIME_DIR must be private to this user:"
                + " fix or unset it, or give --control-socket PATH)", e.getMessage());
        assertFalse(Files.exists(path));

        Files.setPosixFilePermissions(xdg, PosixFilePermissions.fromString("rwx------"));
        ControlServer ok = ControlServer.bind(path, true, env, host());
        try {
            assertEquals("rw-------", PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS)));
        } finally {
            ok.close(0);
        }
    }

    @Test
    void aHandOverLeavesItsSocketForTheNextRunnersRenameSoThePathIsNeverWithoutOne() throws Exception {
        TestProbe<ActorRunner.Command> nextRunner = kit.createTestProbe();
        ControlServer next = ControlServer.bind(socket, false, Map.of(), host(), true);
        try {
            next.serve(new RunnerHandle(kit.system(), nextRunner.ref()));
            server.unpublish();
            // Until the next runner renames its socket over the path, clients still reach this one.
            CompletableFuture<Seen> before = client(Request.status());
            answerStatus(status(1, false, false, false, Optional.empty()));
            assertTrue(done(before).last().ok(), "answered by this runner");
            next.publish();
            server.close(0); // this runner exits: what is at the path now is the next one's
            CompletableFuture<Seen> after = client(Request.status());
            nextRunner.expectMessageClass(ActorRunner.GetStatus.class).replyTo().tell(status(2, false, false, false, Optional.empty()));
            assertTrue(done(after).last().ok(), "answered by the next runner");
        } finally {
            next.close(0);
        }
    }
}
