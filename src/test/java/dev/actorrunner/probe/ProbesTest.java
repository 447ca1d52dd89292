package dev.actorrunner.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import dev.actorrunner.config.RunnerSettings.Health;
import dev.actorrunner.config.RunnerSettings.Readiness;
import dev.actorrunner.process.ExitStatus;
import dev.actorrunner.process.WorkerProcess;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ProbesTest {

    private HttpServer http;
    private ServerSocket socket;

    @AfterEach
    void close() throws IOException {
        if (http != null) http.stop(0);
        if (socket != null) socket.close();
    }

    /**
     * Only what probes look at: the pid (by default this JVM's, which holds the test's listeners),
     * the port and the ready line.
     */
    private record FakeWorker(long pid, int port, CompletableFuture<Void> readyLine) implements WorkerProcess {
        FakeWorker(int port) {
            this(ProcessHandle.current().pid(), port, new CompletableFuture<>());
        }

        FakeWorker(int port, CompletableFuture<Void> readyLine) {
            this(ProcessHandle.current().pid(), port, readyLine);
        }

        @Override public void terminate() {}
        @Override public void kill() {}
        @Override public boolean isAlive() { return true; }
        @Override public CompletionStage<ExitStatus> exited() { return new CompletableFuture<>(); }
        @Override public CompletionStage<Long> rssBytes() { return CompletableFuture.completedFuture(-1L); }
        @Override public Dump dump(String signal, java.nio.file.Path dir) { return () -> {}; }
    }

    private static boolean check(Readiness readiness, WorkerProcess worker) throws Exception {
        long start = System.nanoTime();
        boolean ready = Probes.forReadiness(readiness).check(worker).toCompletableFuture()
                .get(5, TimeUnit.SECONDS);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertTrue(took.compareTo(Duration.ofMillis(2500)) < 0, "a check took " + took);
        return ready;
    }

    private static ServerSocket listen() throws IOException {
        ServerSocket s = new ServerSocket();
        s.bind(new InetSocketAddress("127.0.0.1", 0));
        return s;
    }

    private static int closedPort() throws IOException {
        try (ServerSocket s = listen()) {
            return s.getLocalPort();
        }
    }

    private int serveHttp(int status) throws IOException {
        http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        http.createContext("/health", exchange -> {
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        http.start();
        return http.getAddress().getPort();
    }

    @Test
    void tcpPassesWhenSomethingListens() throws Exception {
        socket = listen();
        assertTrue(check(new Readiness.Tcp(), new FakeWorker(socket.getLocalPort())));
    }

    @Test
    void tcpFailsOnAClosedPort() throws Exception {
        assertFalse(check(new Readiness.Tcp(), new FakeWorker(closedPort())));
    }

    @Test
    void httpPassesOn2xx() throws Exception {
        assertTrue(check(new Readiness.Http("/health"), new FakeWorker(serveHttp(204))));
    }

    @Test
    void httpFailsOn500() throws Exception {
        assertFalse(check(new Readiness.Http("/health"), new FakeWorker(serveHttp(500))));
    }

    @Test
    void httpFailsOnAClosedPort() throws Exception {
        assertFalse(check(new Readiness.Http("/health"), new FakeWorker(closedPort())));
    }

    @Test
    void httpFailsInTimeWhenTheServerNeverAnswers() throws Exception {
        socket = listen(); // accepted by the kernel's backlog, never read
        assertFalse(check(new Readiness.Http("/health"), new FakeWorker(socket.getLocalPort())));
    }

    private static Optional<String> liveness(Health.Check check, WorkerProcess worker) throws Exception {
        return Probes.forHealth(check, Duration.ofSeconds(1)).check(worker).toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    @Test
    void tcpLivenessPassesWhenTheAppAcceptsTheConnection() throws Exception {
        socket = listen();
        Thread acceptor = new Thread(() -> {
            try (Socket accepted = socket.accept()) {
                accepted.getInputStream().read();
            } catch (IOException closed) {
                // the test is over
            }
        });
        acceptor.start();
        assertEquals(Optional.empty(), liveness(new Health.Check.Tcp(), new FakeWorker(socket.getLocalPort())));
    }

    /** What a stopped or hung process looks like: the kernel takes the connection, the app never does. */
    @Test
    void tcpLivenessFailsWhenTheConnectionIsNeverAccepted() throws Exception {
        socket = listen();
        assertEquals(Optional.of("connected, but not accepted within 1s"),
                liveness(new Health.Check.Tcp(), new FakeWorker(socket.getLocalPort())));
    }

    @Test
    void tcpLivenessSaysWhenNothingListens() throws Exception {
        assertEquals(Optional.of("connection refused"), liveness(new Health.Check.Tcp(), new FakeWorker(closedPort())));
    }

    @Test
    void httpLivenessSaysTheStatusOrThatNoneCame() throws Exception {
        assertEquals(Optional.of("HTTP 503"), liveness(new Health.Check.Http("/health"), new FakeWorker(serveHttp(503))));
        http.stop(0);
        http = null;
        assertEquals(Optional.empty(), liveness(new Health.Check.Http("/health"), new FakeWorker(serveHttp(200))));
        socket = listen();
        assertEquals(Optional.of("no answer within 1s"),
                liveness(new Health.Check.Http("/health"), new FakeWorker(socket.getLocalPort())));
    }

    @Test
    void acceptQueueLinesAreReadByPortsAndInode() {
        String waiting = "   3: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 0 1 0000";
        String accepted = "   4: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000";
        assertEquals(Optional.of(false), AcceptQueue.serverSide(waiting, 8080, 50000));
        assertEquals(Optional.of(true), AcceptQueue.serverSide(accepted, 8080, 50000));
        assertEquals(Optional.empty(), AcceptQueue.serverSide(accepted, 8080, 50001), "another connection");
        assertEquals(Optional.empty(), AcceptQueue.serverSide(accepted, 50000, 8080), "the client's own side");
    }

    @Test
    void logPassesOnceTheReadyLineWasSeen() throws Exception {
        FakeWorker worker = new FakeWorker(0);
        Readiness log = new Readiness.Log(Pattern.compile("started"));
        assertFalse(check(log, worker));
        worker.readyLine().complete(null);
        assertTrue(check(log, worker));
    }

    @Test
    void nonePassesAtOnce() throws Exception {
        assertTrue(check(new Readiness.None(), new FakeWorker(0)));
    }

    @Test
    void statusLineParsing() {
        assertTrue(HttpCheck.is2xx("HTTP/1.1 200 OK"));
        assertTrue(HttpCheck.is2xx("HTTP/1.0 299"));
        assertFalse(HttpCheck.is2xx("HTTP/1.1 301 Moved"));
        assertFalse(HttpCheck.is2xx("SSH-2.0-OpenSSH"));
        assertFalse(HttpCheck.is2xx(""));
    }

    @Test
    void aPortThatAnotherProcessListensOnIsNotTheWorkersReadiness() throws Exception {
        assumeTrue(Files.isReadable(Path.of("/proc/net/tcp")), "Linux /proc");
        socket = listen(); // held by this JVM, not by the "worker" below
        Process other = new ProcessBuilder("sleep", "60").start();
        try {
            assertFalse(check(new Readiness.Tcp(), new FakeWorker(other.pid(), socket.getLocalPort(),
                    new CompletableFuture<>())));
            assertEquals(ListenerOwner.Verdict.NOT_OWNED, ListenerOwner.of(socket.getLocalPort(), other.pid()));
            assertTrue(check(new Readiness.Tcp(), new FakeWorker(socket.getLocalPort())), "this JVM holds it");
            assertTrue(Probes.forReadiness(new Readiness.Tcp(), false).check(new FakeWorker(other.pid(),
                    socket.getLocalPort(), new CompletableFuture<>())).toCompletableFuture().get(5, TimeUnit.SECONDS),
                    "ready-owner-check = off: any listener counts");
        } finally {
            other.destroyForcibly();
        }
    }

    @Test
    void aListenerOfTheWorkersChildIsTheWorkers() throws Exception {
        assumeTrue(Files.isReadable(Path.of("/proc/net/tcp")), "Linux /proc");
        socket = listen();
        // The test JVM is a descendant of its parent: from there, this JVM's listener is "the worker's child's".
        long parent = ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(0L);
        assumeTrue(parent > 1, "a parent process of our own");
        assertEquals(ListenerOwner.Verdict.OWNED, ListenerOwner.of(socket.getLocalPort(), parent));
    }

    @Test
    void nobodyListeningIsUnknownNotNotOwned() throws Exception {
        assertEquals(ListenerOwner.Verdict.UNKNOWN, ListenerOwner.of(closedPort(), ProcessHandle.current().pid()));
    }

    @Test
    void aConnectionToItselfIsNotReady() throws Exception {
        // What the kernel may do by chance when a probe's ephemeral source port equals the port it
        // probes; binding the source port makes it certain (TCP simultaneous open).
        int port = closedPort();
        Socket self = new Socket();
        self.setReuseAddress(true);
        self.bind(new InetSocketAddress("127.0.0.1", port));
        assertNull(TcpCheck.open(self, port));
        assertTrue(self.isClosed(), "the self-connected socket would hold the worker's port");
    }
}
