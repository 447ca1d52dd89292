package dev.actorrunner.it;

import static dev.actorrunner.it.RunnerProcess.fixture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actorrunner.fixtures.Reaper;
import dev.actorrunner.it.RunnerProcess.Worker;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The default mode, auto, as clients see it through a real runner: a protocol that is not HTTP
 * (line echo, binary, HTTP/2's preface, a server that speaks first) is pinned to one worker with
 * its bytes intact, and kept-alive HTTP/1.1 clients are moved onto the new generation by a reload
 * without losing a request, on connections that stay open. No test here passes --mode.
 */
class AutoModeIT {
    private static final Duration BOOT = Duration.ofSeconds(60);
    private static final Duration IO = Duration.ofSeconds(10);
    /** The default sniff-timeout: a silent client is pinned no sooner. */
    private static final Duration SNIFF = Duration.ofMillis(500);

    @RegisterExtension
    final Reaper reaper = new Reaper();

    private RunnerProcess runner(List<String> app) throws Exception {
        List<String> args = new ArrayList<>(List.of("-p", "0", "-w", "2", "--kill-timeout", "10s", "--backoff-min", "200ms"));
        args.addAll(app);
        return reaper.closeLater(RunnerProcess.start(args));
    }

    private Socket connect(int port) throws IOException {
        Socket s = new Socket();
        reaper.closeLater(s);
        s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
        s.setSoTimeout((int) IO.toMillis());
        return s;
    }

    private static void write(Socket s, byte[] bytes) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write(bytes);
        out.flush();
    }

    /** One line as the worker sent it, LF included (bytes as they are). */
    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b; (b = in.read()) != -1; ) {
            line.write(b);
            if (b == '\n') return line.toString(StandardCharsets.ISO_8859_1);
        }
        throw new IOException("closed after " + line.toString(StandardCharsets.ISO_8859_1));
    }

    @Test
    void aProtocolThatIsNotHttpIsPinnedToOneWorkerWithEveryByteIntact() throws Exception {
        RunnerProcess r = runner(fixture("echo-lines"));
        Set<Long> workers = r.awaitInRotation(2, BOOT).stream().map(Worker::pid).collect(Collectors.toSet());
        int port = r.publicPort(BOOT);
        // What each connection opens with: a word, HTTP/2's preface line, a TLS record's first bytes
        // (0x16, then a version and bytes of every value but LF), a method-like line with no version.
        byte[] tls = new byte[200];
        for (int i = 0; i < tls.length; i++) tls[i] = (byte) (i == 0 ? 0x16 : i == '\n' ? 0 : i + 40);
        tls[tls.length - 1] = '\n';
        List<byte[]> openers = List.of("hello 1\n".getBytes(StandardCharsets.US_ASCII),
                "PRI * HTTP/2.0\r\n".getBytes(StandardCharsets.US_ASCII), tls,
                "GET /\n".getBytes(StandardCharsets.US_ASCII));
        List<Socket> sockets = new ArrayList<>();
        for (int i = 0; i < openers.size(); i++) sockets.add(connect(port)); // all open at once: spread over both
        Set<Long> used = new HashSet<>();
        List<Long> pins = new ArrayList<>();
        for (int round = 0; round < 20; round++) {
            for (int i = 0; i < sockets.size(); i++) {
                Socket s = sockets.get(i);
                byte[] line = round == 0 ? openers.get(i) : ("line " + round + " of connection " + i + "\n").getBytes(StandardCharsets.US_ASCII);
                write(s, line);
                String echo = readLine(s.getInputStream());
                String sent = new String(line, StandardCharsets.ISO_8859_1);
                assertTrue(echo.startsWith("pid ") && echo.endsWith(": " + sent), "connection " + i + ": " + echo);
                long pid = Long.parseLong(echo.substring(4, echo.indexOf(':')));
                assertTrue(workers.contains(pid), "answered by a worker: " + echo);
                if (round == 0) {
                    used.add(pid);
                    pins.add(pid);
                } else {
                    assertEquals(pins.get(i), pid, "connection " + i + " stays on its worker");
                }
            }
        }
        assertEquals(workers, used, "the connections were spread over both workers");
    }

    @Test
    void aServerThatSpeaksFirstGreetsAfterSniffTimeoutAndThenEchoes() throws Exception {
        RunnerProcess r = runner(fixture("echo-lines", "greet"));
        Set<Long> workers = r.awaitInRotation(2, BOOT).stream().map(Worker::pid).collect(Collectors.toSet());
        int port = r.publicPort(BOOT);
        long start = System.nanoTime();
        Socket s = connect(port);
        InputStream in = s.getInputStream();
        String greeting = readLine(in); // the client says nothing until it is greeted
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertTrue(greeting.matches("220 pid \\d+ greets\r\n"), greeting);
        long pid = Long.parseLong(greeting.split(" ")[2]);
        assertTrue(workers.contains(pid), greeting);
        assertTrue(took.compareTo(SNIFF) >= 0, "pinned at sniff-timeout, not before: " + took);
        for (int i = 0; i < 5; i++) {
            write(s, ("EHLO client " + i + "\r\n").getBytes(StandardCharsets.US_ASCII));
            assertEquals("pid " + pid + ": EHLO client " + i + "\r\n", readLine(in));
        }
    }

    /**
     * The test: K kept-alive HTTP/1.1 connections each send GETs one after another; the
     * app halts on SIGTERM, cutting whatever it still has open. After "reload 2 completed", every
     * connection's next answers come from the new generation, no request failed, and no client
     * had to reconnect. (In tcp mode each connection would stay on its old worker until
     * drain-timeout and then be cut with it.)
     */
    @Test
    void aReloadMovesEveryKeptAliveClientToTheNewGenerationAndLosesNothing() throws Exception {
        RunnerProcess r = runner(fixture("abrupt"));
        Set<Long> firstGeneration = r.awaitInRotation(2, BOOT).stream().map(Worker::pid).collect(Collectors.toSet());
        int port = r.publicPort(BOOT);
        List<KeptAlive> clients = new ArrayList<>();
        for (int i = 0; i < 8; i++) clients.add(reaper.closeLater(new KeptAlive(port)));
        r.await(() -> clients.stream().allMatch(c -> c.answers.size() >= 20), BOOT, "every client answered 20 times");

        r.signal("HUP");
        r.awaitLine(l -> l.contains("reload 2 completed"), BOOT, "reload 2 completed");
        long completed = System.nanoTime();
        Set<Long> secondGeneration = r.inRotation().stream().filter(w -> w.generation() == 2).map(Worker::pid)
                .collect(Collectors.toSet());
        assertEquals(2, secondGeneration.size(), r.inRotation().toString());
        r.await(() -> clients.stream().allMatch(c -> c.answeredAfter(completed).size() >= 5), BOOT,
                "every client answered 5 times after the reload");
        for (KeptAlive c : clients) c.close();

        for (KeptAlive c : clients) {
            assertEquals(List.of(), c.failures, "no request failed");
            assertEquals(1, c.connects.get(), "one connection from first to last");
            List<Long> after = c.answeredAfter(completed);
            assertTrue(secondGeneration.containsAll(after), "after the reload only new workers answer: " + after
                    + ", new: " + secondGeneration);
            assertTrue(firstGeneration.contains(c.answers.get(0).pid()), "the first answer came from generation 1");
        }
        Set<Long> seen = clients.stream().flatMap(c -> c.answers.stream()).map(Answer::pid).collect(Collectors.toSet());
        assertTrue(seen.containsAll(secondGeneration), "both new workers served: " + seen);
    }

    private record Answer(long startedNanos, long pid) {}

    /**
     * One client thread on one kept-alive connection: GET / after GET /, until closed or 100,000
     * requests. It reconnects only when its connection breaks, and counts that.
     */
    private static final class KeptAlive implements AutoCloseable {
        private static final int MAX_REQUESTS = 100_000;
        final List<Answer> answers = new CopyOnWriteArrayList<>();
        final List<String> failures = new CopyOnWriteArrayList<>();
        final AtomicInteger connects = new AtomicInteger();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final int port;
        private final Thread thread;

        KeptAlive(int port) {
            this.port = port;
            thread = new Thread(this::run, "kept-alive");
            thread.setDaemon(true);
            thread.start();
        }

        List<Long> answeredAfter(long nanos) {
            return answers.stream().filter(a -> a.startedNanos() - nanos > 0).map(Answer::pid).toList();
        }

        private void run() {
            Socket s = null;
            for (int n = 0; n < MAX_REQUESTS && running.get(); n++) {
                long started = System.nanoTime();
                try {
                    if (s == null) {
                        s = new Socket();
                        s.setTcpNoDelay(true);
                        s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
                        s.setSoTimeout((int) IO.toMillis());
                        connects.incrementAndGet();
                    }
                    answers.add(new Answer(started, get(s)));
                } catch (IOException e) {
                    failures.add(e.toString());
                    closeQuietly(s);
                    s = null;
                }
            }
            closeQuietly(s);
        }

        /** One kept-alive GET; the pid that answered. */
        private static long get(Socket s) throws IOException {
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            String status = readLine(in);
            if (!status.startsWith("HTTP/1.1 200")) throw new IOException("status: " + status.strip());
            int length = -1;
            for (String h; !(h = readLine(in).strip()).isEmpty(); ) {
                String lower = h.toLowerCase(java.util.Locale.ROOT);
                if (lower.startsWith("content-length:")) length = Integer.parseInt(h.substring(15).strip());
                if (lower.startsWith("connection:") && lower.contains("close")) throw new IOException("the runner closes: " + h);
            }
            byte[] body = in.readNBytes(length);
            if (length < 0 || body.length != length) throw new IOException("body cut short");
            return Long.parseLong(new String(body, StandardCharsets.UTF_8).strip().replace("hello from pid ", ""));
        }

        private static void closeQuietly(Socket s) {
            if (s == null) return;
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join(15_000);
        }
    }
}
