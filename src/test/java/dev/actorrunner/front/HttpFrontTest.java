package dev.actorrunner.front;

import static dev.actorrunner.front.RawHttp.get;
import static dev.actorrunner.front.RawHttp.read;
import static dev.actorrunner.front.RawHttp.send;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actorrunner.config.RunnerSettings;
import dev.actorrunner.front.Router.Route;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The front in http mode, over real sockets, with in-process HTTP servers as workers. */
class HttpFrontTest {
    private final HttpBackends backends = new HttpBackends();
    private final List<Socket> clients = new ArrayList<>();
    private Front front;

    @BeforeEach
    void bind() throws Exception {
        front = bind(Duration.ofSeconds(5), RunnerSettings.Http.DEFAULTS);
    }

    private static Front bind(Duration queueTimeout, RunnerSettings.Http http) throws FrontBindException {
        return bind(queueTimeout, http, FrontSettings.Passive.OFF);
    }

    private static Front bind(Duration queueTimeout, RunnerSettings.Http http, FrontSettings.Passive passive)
            throws FrontBindException {
        return Front.bind(new FrontSettings("127.0.0.1", 0, 1, queueTimeout, Duration.ofSeconds(2),
                RunnerSettings.Mode.HTTP, http, passive));
    }

    private static RunnerSettings.Http responseTimeout(Duration d) {
        RunnerSettings.Http h = RunnerSettings.Http.DEFAULTS;
        return new RunnerSettings.Http(h.healthPath(), h.forwardedHeaders(), h.trustForwarded(), h.maxInitialLine(),
                h.maxHeaderSize(), d);
    }

    @AfterEach
    void close() throws Exception {
        for (Socket c : clients) c.close();
        front.close();
        backends.close();
    }

    private Socket connect() throws IOException {
        Socket s = new Socket();
        clients.add(s);
        s.connect(front.addresses().get(0), 2000);
        s.setSoTimeout(10_000);
        return s;
    }

    private RawHttp.Response exchange(Socket s, String raw) throws IOException {
        send(s, raw);
        return read(s.getInputStream());
    }

    @Test
    void eachRequestOnOneClientConnectionIsRoutedOnItsOwn() throws Exception {
        HttpBackends.Web a = backends.web("a");
        HttpBackends.Web b = backends.web("b");
        front.publish(List.of(new Route(1, a.port()), new Route(2, b.port())));
        Socket s = connect();
        Set<String> answers = new HashSet<>();
        for (int i = 0; i < 6; i++) answers.add(exchange(s, get("/")).text());
        assertEquals(Set.of("a", "b"), answers, "one client connection, both workers");
    }

    @Test
    void drainWaitsForRequestsNotForClientConnections() throws Exception {
        HttpBackends.Web a = backends.web("a");
        HttpBackends.Web b = backends.web("b");
        front.publish(List.of(new Route(1, a.port())));
        Socket kept = connect();
        assertEquals("a", exchange(kept, get("/")).text());

        Socket slow = connect();
        send(slow, get("/slow"));
        assertTrue(a.slowArrived.await(10, TimeUnit.SECONDS));
        front.publish(List.of(new Route(2, b.port())));
        CompletableFuture<Integer> drained = front.drain(1).toCompletableFuture();
        assertFalse(drained.isDone(), "one request still running on worker 1");
        assertEquals("b", exchange(kept, get("/")).text(), "the kept-alive client goes on, to worker 2");
        a.release.countDown();
        assertEquals("slow done", read(slow.getInputStream()).text());
        assertEquals(1, drained.get(10, TimeUnit.SECONDS));
        assertEquals("b", exchange(kept, get("/")).text());
    }

    @Test
    void anyRequestIsRetriedOnAnotherWorkerWhenTheConnectIsRefused() throws Exception {
        HttpBackends.Web live = backends.web("live");
        int dead;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            dead = s.getLocalPort();
        }
        front.publish(List.of(new Route(1, dead), new Route(2, live.port())));
        Socket s = connect();
        for (int i = 0; i < 4; i++) {
            assertEquals("live", exchange(s, get("/")).text());
            RawHttp.Response post = exchange(s, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello");
            assertEquals("hello", post.text());
        }
    }

    @Test
    void aWorkerThatNeverAnswersGets504AfterResponseTimeoutAndTheClientsConnectionGoesOn() throws Exception {
        front.close();
        front = bind(Duration.ofSeconds(5), responseTimeout(Duration.ofMillis(500)));
        HttpBackends.Hung hung = backends.hung(false);
        HttpBackends.Web web = backends.web("web");
        front.publish(List.of(new Route(1, hung.port())));
        Socket s = connect();
        long start = System.nanoTime();
        RawHttp.Response timedOut = exchange(s, get("/"));
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertEquals(504, timedOut.status());
        assertTrue(took.compareTo(Duration.ofMillis(500)) >= 0, "not before response-timeout: " + took);
        assertNull(timedOut.header("connection"), "kept alive: the request was read whole");
        assertEquals(1, front.traffic().responseTimeouts());

        front.publish(List.of(new Route(2, web.port())));
        assertEquals("web", exchange(s, get("/")).text(), "the same client connection goes on");
    }

    @Test
    void aResponseThatStallsMidwayIsCut() throws Exception {
        front.close();
        front = bind(Duration.ofSeconds(5), responseTimeout(Duration.ofMillis(500)));
        front.publish(List.of(new Route(1, backends.hung(true).port())));
        Socket s = connect();
        send(s, get("/"));
        InputStream in = s.getInputStream();
        assertEquals("HTTP/1.1 200 OK", RawHttp.line(in));
        byte[] rest = in.readAllBytes(); // to EOF: the front closes once the worker stalls
        assertTrue(new String(rest, java.nio.charset.StandardCharsets.ISO_8859_1).endsWith("0123456789"),
                "what the worker sent arrives, then the close");
    }

    /** A request still waiting counts against its worker (passive health); it is not cut for that. */
    @Test
    void requestsWithoutAnAnswerInTheirPassiveTimeAreReportedOncePerRun() throws Exception {
        front.close();
        front = bind(Duration.ofSeconds(5), responseTimeout(Duration.ofSeconds(30)),
                new FrontSettings.Passive(2, Duration.ofMillis(200)));
        List<String> reports = new java.util.concurrent.CopyOnWriteArrayList<>();
        front.onUnresponsive((id, why) -> reports.add(id + ": " + why));
        HttpBackends.Hung hung = backends.hung(false);
        front.publish(List.of(new Route(1, hung.port())));
        Socket first = connect();
        send(first, get("/"));
        assertTrue(dev.actorrunner.fixtures.Processes.poll(() -> hung.requests.get() == 1, Duration.ofSeconds(5)));
        Socket second = connect();
        send(second, get("/"));
        assertTrue(dev.actorrunner.fixtures.Processes.poll(() -> !reports.isEmpty(), Duration.ofSeconds(5)),
                "two requests without an answer are reported");
        assertEquals(List.of("1: 2 request(s) in a row failed, last: no response within 200ms"), reports);
        send(connect(), get("/"));
        assertTrue(dev.actorrunner.fixtures.Processes.poll(() -> hung.requests.get() == 3, Duration.ofSeconds(5)));
        first.setSoTimeout(300);
        assertThrows(java.net.SocketTimeoutException.class, () -> first.getInputStream().read(),
                "the request goes on waiting for its answer");
        assertEquals(1, reports.size(), "once per run of failures");
        assertEquals(0, front.traffic().responseTimeouts());
    }

    /**
     * An unhealthy worker's waiting requests get 504 at once, not at response-timeout, and go to
     * no other worker: a request that hung one worker would hang the next.
     */
    @Test
    void requestsWaitingOnAnAbandonedWorkerGet504AtOnceAndAreNotReplayed() throws Exception {
        HttpBackends.Hung hung = backends.hung(false);
        HttpBackends.Web web = backends.web("web");
        front.publish(List.of(new Route(1, hung.port())));
        Socket get = connect();
        send(get, get("/"));
        Socket post = connect();
        send(post, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi");
        assertTrue(dev.actorrunner.fixtures.Processes.poll(() -> hung.requests.get() == 2, Duration.ofSeconds(5)));

        front.publish(List.of(new Route(2, web.port())));
        front.abandon(1);
        get.setSoTimeout(5000); // far below response-timeout (60 s)
        post.setSoTimeout(5000);
        RawHttp.Response g = read(get.getInputStream());
        assertEquals(504, g.status(), "a GET is not replayed either");
        assertEquals(504, read(post.getInputStream()).status());
        assertEquals(0, web.hits("/"), "nothing went to the other worker");
        send(get, get("/"));
        assertEquals("web", read(get.getInputStream()).text(), "the 504 kept the connection: its next request goes on");
        assertEquals(0, front.traffic().responseTimeouts(), "not a response-timeout");
    }

    @Test
    void aSlowUploadIsTheClientsTimeNotTheWorkers() throws Exception {
        front.close();
        front = bind(Duration.ofSeconds(5), responseTimeout(Duration.ofMillis(300)));
        HttpBackends.Web web = backends.web("web");
        front.publish(List.of(new Route(1, web.port())));
        Socket s = connect();
        send(s, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 6\r\n\r\nabc");
        Thread.sleep(700); // the client's pace: a pause longer than response-timeout, mid-body
        send(s, "def");
        RawHttp.Response r = read(s.getInputStream());
        assertEquals(200, r.status());
        assertEquals("abcdef", r.text());
        assertEquals(0, front.traffic().responseTimeouts());
    }

    @Test
    void getThatGotNoAnswerIsSentOnceMoreButAPostIsNeverReplayed() throws Exception {
        HttpBackends.Mute mute = backends.mute();
        HttpBackends.Web web = backends.web("web");
        front.publish(List.of(new Route(1, mute.port())));
        RawHttp.Response post = exchange(connect(), "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi");
        assertEquals(502, post.status());
        assertEquals(1, mute.requests.get(), "the POST reached the worker once, and only once");

        front.publish(List.of(new Route(1, mute.port()), new Route(2, web.port())));
        Socket s = connect();
        for (int i = 0; i < 4; i++) assertEquals("web", exchange(s, get("/")).text());
        assertTrue(mute.requests.get() >= 2, "some GETs met the mute worker first, and were retried");
    }

    @Test
    void ambiguousOrOversizedRequestsAreRefusedAndNeverForwarded() throws Exception {
        HttpBackends.Web web = backends.web("web");
        front.publish(List.of(new Route(1, web.port())));
        String smuggle = "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n";
        assertRefused(smuggle, 400);
        assertRefused("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde", 400);
        assertRefused("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\nabc", 400);
        assertRefused("GET /" + "a".repeat(9000) + " HTTP/1.1\r\nHost: t\r\n\r\n", 414);
        assertRefused("GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + "b".repeat(20_000) + "\r\n\r\n", 431);
        assertRefused("GET / HTTP/1.1\r\nHost: t\r\nBad Header: x\r\n\r\n", 400);
        assertEquals(0, web.hits("/echo") + web.hits("/smuggled") + web.hits("/"), "nothing reached the worker");
    }

    private void assertRefused(String raw, int status) throws IOException {
        Socket s = connect();
        RawHttp.Response r = exchange(s, raw);
        assertEquals(status, r.status(), raw.substring(0, Math.min(60, raw.length())));
        assertEquals("close", r.header("connection"));
        assertNull(read(s.getInputStream()), "closed after the refusal");
    }

    @Test
    void noReadyWorkerWithinQueueTimeoutIs503WithRetryAfter() throws Exception {
        front.close();
        front = bind(Duration.ofMillis(300), RunnerSettings.Http.DEFAULTS);
        RawHttp.Response r = exchange(connect(), get("/"));
        assertEquals(503, r.status());
        assertEquals("1", r.header("retry-after"));
    }

    @Test
    void requestWaitsForAWorkerThatBecomesReadyWithinQueueTimeout() throws Exception {
        HttpBackends.Web late = backends.web("late");
        Socket s = connect();
        send(s, get("/"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (front.waitingConnections() == 0 && System.nanoTime() < deadline) Thread.sleep(5); // poll
        front.publish(List.of(new Route(1, late.port())));
        assertEquals("late", read(s.getInputStream()).text());
    }

    @Test
    void forwardedHeadersAreSetAndAForgedOneIsReplaced() throws Exception {
        HttpBackends.Web web = backends.web("web");
        front.publish(List.of(new Route(1, web.port())));
        RawHttp.Response r = exchange(connect(),
                "GET /headers HTTP/1.1\r\nHost: shop.example\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n");
        assertEquals("for=127.0.0.1 proto=http host=shop.example", r.text());
    }

    @Test
    void trustedForwardedForIsAppendedTo() throws Exception {
        front.close();
        front = bind(Duration.ofSeconds(5), new RunnerSettings.Http(Optional.empty(), true, true, 8192, 16384));
        HttpBackends.Web web = backends.web("web");
        front.publish(List.of(new Route(1, web.port())));
        RawHttp.Response r = exchange(connect(),
                "GET /headers HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 10.0.0.7\r\nX-Forwarded-Proto: https\r\n\r\n");
        assertEquals("for=10.0.0.7, 127.0.0.1 proto=https host=h", r.text());
    }

    @Test
    void healthPathIsAnsweredByTheRunner() throws Exception {
        front.close();
        front = bind(Duration.ofSeconds(5), new RunnerSettings.Http(Optional.of("/healthz"), true, false, 8192, 16384));
        Socket s = connect();
        assertEquals(503, exchange(s, get("/healthz")).status());
        HttpBackends.Web web = backends.web("web");
        front.publish(List.of(new Route(1, web.port())));
        assertEquals(200, exchange(s, get("/healthz")).status());
        assertEquals(0, web.hits("/healthz"));
        assertEquals("web", exchange(s, get("/")).text(), "the same connection serves the app afterwards");
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrderAndHeadHasNoBody() throws Exception {
        HttpBackends.Web web = backends.web("web");
        front.publish(List.of(new Route(1, web.port())));
        Socket s = connect();
        send(s, "HEAD / HTTP/1.1\r\nHost: t\r\n\r\n" + "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\none"
                + get("/"));
        InputStream in = s.getInputStream();
        RawHttp.Response head = RawHttp.read(in, true);
        assertEquals(200, head.status());
        // HEAD's response has no body: the next bytes are the second response's status line.
        String next = RawHttp.line(in);
        assertEquals("HTTP/1.1 200 OK", next);
        while (!RawHttp.line(in).isEmpty()) { /* headers */ }
        assertEquals("one", new String(in.readNBytes(3)));
        assertEquals("web", read(in).text());
    }

    @Test
    void chunkedUploadWithExpectContinueAndLargeDownloadStream() throws Exception {
        HttpBackends.Web web = backends.web("web");
        front.publish(List.of(new Route(1, web.port())));
        Socket s = connect();
        send(s, "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n");
        InputStream in = s.getInputStream();
        RawHttp.Response cont = read(in);
        assertEquals(100, cont.status(), "the worker's 100 Continue reaches the client");
        send(s, "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
        assertEquals("hello world", read(in).text());

        send(s, get("/big?mb=64"));
        RawHttp.Response big = read(in);
        assertEquals(64 * 1024 * 1024, big.body().length);
        for (int i = 0; i < big.body().length; i += 4099) assertEquals((byte) (i % (1024 * 1024)), big.body()[i]);
        assertEquals("web", exchange(s, get("/")).text(), "the connection is still good");
    }

    @Test
    void upgradedConnectionIsAPinnedByteStreamThatHoldsTheDrain() throws Exception {
        HttpBackends.Upgrader up = backends.upgrader();
        front.publish(List.of(new Route(1, up.port())));
        Socket s = connect();
        RawHttp.Response r = exchange(s, "GET /ws HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n");
        assertEquals(101, r.status());
        send(s, "ping");
        assertEquals("ping", new String(s.getInputStream().readNBytes(4)));
        CompletableFuture<Integer> drained = front.drain(1).toCompletableFuture();
        send(s, "still here");
        assertEquals("still here", new String(s.getInputStream().readNBytes(10)));
        assertFalse(drained.isDone(), "an upgraded connection holds its worker's drain, as in TCP mode");
        s.close();
        assertEquals(1, drained.get(10, TimeUnit.SECONDS));
    }
}
