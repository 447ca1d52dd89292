package dev.actorrunner.front;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actorrunner.config.RunnerSettings;
import dev.actorrunner.front.Router.Route;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.HttpServerCodec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The http relay alone, on Netty's EmbeddedChannel: the client's connection and each worker
 * connection are embedded channels, the relay dials through a fake {@link HttpRelay.Dialer}, and
 * time is the embedded event loop's, moved by hand. What the worker and the client see is read
 * back as the bytes the codecs wrote. The same relay over real sockets: HttpFrontTest.
 */
class HttpRelayTest {
    private static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(30);

    /** A connection the relay opened to a worker: its port, and the embedded channel standing for it. */
    private record Dialed(int port, EmbeddedChannel channel) {
        String received() {
            StringBuilder sb = new StringBuilder();
            for (Object m; (m = channel.readOutbound()) != null; ) {
                ByteBuf b = (ByteBuf) m;
                sb.append(b.toString(US_ASCII));
                b.release();
            }
            return sb.toString();
        }

        void answer(String raw) {
            channel.writeInbound(Unpooled.copiedBuffer(raw, US_ASCII));
        }
    }

    private final List<Dialed> dialed = new ArrayList<>();
    private final WorkerConnections pool = new WorkerConnections();
    private Rotation rotation;
    private EmbeddedChannel client;

    private void start(int... ports) {
        RunnerSettings.Http h = RunnerSettings.Http.DEFAULTS;
        RunnerSettings.Http http = new RunnerSettings.Http(h.healthPath(), h.forwardedHeaders(), h.trustForwarded(),
                h.maxInitialLine(), h.maxHeaderSize(), RESPONSE_TIMEOUT);
        FrontSettings settings = new FrontSettings("127.0.0.1", 0, 1, Duration.ofSeconds(5), Duration.ofSeconds(2),
                RunnerSettings.Mode.HTTP, http);
        rotation = new Rotation(settings, new Traffic(), pool::closeAll);
        List<Route> routes = new ArrayList<>();
        for (int i = 0; i < ports.length; i++) routes.add(new Route(i + 1, ports[i]));
        rotation.publish(routes);
        HttpRelay.Dialer dialer = (loop, port, handler) -> {
            EmbeddedChannel ch = new EmbeddedChannel(handler);
            dialed.add(new Dialed(port, ch));
            return ch.newSucceededFuture();
        };
        client = new EmbeddedChannel(new HttpServerCodec(), new HttpRelay(rotation, pool, dialer));
        client.freezeTime();
    }

    @AfterEach
    void close() {
        if (client != null) client.finishAndReleaseAll();
        dialed.forEach(d -> d.channel().finishAndReleaseAll());
    }

    private void send(String raw) {
        client.writeInbound(Unpooled.copiedBuffer(raw, US_ASCII));
    }

    private String clientGot() {
        StringBuilder sb = new StringBuilder();
        for (Object m; (m = client.readOutbound()) != null; ) {
            ByteBuf b = (ByteBuf) m;
            sb.append(b.toString(US_ASCII));
            b.release();
        }
        return sb.toString();
    }

    @Test
    void aRequestReachesTheWorkerRewrittenAndItsConnectionServesTheNext() {
        start(9001);
        send("GET /a HTTP/1.1\r\nHost: app\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\n"
                + "Proxy-Authorization: secret\r\nKeep-Alive: timeout=5\r\nX-App: kept\r\n\r\n");
        assertEquals(1, dialed.size());
        Dialed w = dialed.get(0);
        assertEquals(9001, w.port());
        String got = w.received();
        assertTrue(got.startsWith("GET /a HTTP/1.1\r\n"), got);
        assertTrue(got.contains("X-App: kept\r\n") && got.contains("Host: app\r\n"), got);
        assertTrue(got.contains("X-Forwarded-Proto: http\r\n") && got.contains("X-Forwarded-Host: app\r\n"), got);
        for (String hop : List.of("X-Hop", "Proxy-Authorization", "Keep-Alive", "Connection")) {
            assertFalse(got.toLowerCase().contains(hop.toLowerCase() + ":"), hop + " must not reach the worker: " + got);
        }

        w.answer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nKeep-Alive: timeout=5\r\n\r\nok");
        String res = clientGot();
        assertTrue(res.startsWith("HTTP/1.1 200 OK\r\n") && res.endsWith("\r\n\r\nok"), res);
        assertFalse(res.contains("Keep-Alive"), res);

        send("GET /b HTTP/1.1\r\nHost: app\r\n\r\n");
        assertEquals(1, dialed.size(), "the kept-alive worker connection serves the next request");
        assertTrue(w.received().startsWith("GET /b HTTP/1.1\r\n"));
        w.answer("HTTP/1.1 204 No Content\r\n\r\n");
        assertTrue(clientGot().startsWith("HTTP/1.1 204 No Content\r\n"));
        assertTrue(client.isActive());
    }

    @Test
    void atTheLastCallTheNextResponseClosesTheConnectionAndSaysSo() {
        start(9001);
        send("GET /a HTTP/1.1\r\nHost: app\r\n\r\n");
        Dialed w = dialed.get(0);
        w.received();
        rotation.callLast(); // an upgrade: the next runner accepts now
        client.pipeline().fireUserEventTriggered(Front.LastCall.INSTANCE);
        w.answer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        String res = clientGot();
        assertTrue(res.startsWith("HTTP/1.1 200 OK\r\n") && res.toLowerCase().contains("\r\nconnection: close\r\n"), res);
        assertFalse(client.isActive(), "closed after the response that said so");
    }

    @Test
    void atTheLastCallAnIdleConnectionClosesOnlyAfterASecondOfSilence() {
        start(9001);
        send("GET /a HTTP/1.1\r\nHost: app\r\n\r\n");
        Dialed w = dialed.get(0);
        w.received();
        w.answer("HTTP/1.1 204 No Content\r\n\r\n");
        assertFalse(clientGot().toLowerCase().contains("connection: close"));
        rotation.callLast();
        client.pipeline().fireUserEventTriggered(Front.LastCall.INSTANCE);
        // A request that was on its way as the last call came is still answered, and then the connection closes.
        client.advanceTimeBy(HttpRelay.LAST_CALL_IDLE.toMillis() / 2, TimeUnit.MILLISECONDS);
        client.runPendingTasks();
        assertTrue(client.isActive(), "not closed while it may have a request on the way");
        send("GET /b HTTP/1.1\r\nHost: app\r\n\r\n");
        assertTrue(w.received().startsWith("GET /b"));
        client.advanceTimeBy(HttpRelay.LAST_CALL_IDLE.toMillis(), TimeUnit.MILLISECONDS);
        client.runPendingTasks();
        assertTrue(client.isActive(), "the timer never cuts an exchange");
        w.answer("HTTP/1.1 204 No Content\r\n\r\n");
        assertTrue(clientGot().toLowerCase().contains("connection: close"));
        assertFalse(client.isActive());

        // A connection idle at the last call closes after LAST_CALL_IDLE.
        close();
        dialed.clear();
        start(9001);
        rotation.callLast();
        client.pipeline().fireUserEventTriggered(Front.LastCall.INSTANCE);
        client.advanceTimeBy(HttpRelay.LAST_CALL_IDLE.toMillis() - 1, TimeUnit.MILLISECONDS);
        client.runPendingTasks();
        assertTrue(client.isActive());
        client.advanceTimeBy(2, TimeUnit.MILLISECONDS);
        client.runPendingTasks();
        assertFalse(client.isActive(), "an idle client is let go");
    }

    @Test
    void atTheLastCallAPipelinedRequestIsStillAnsweredAndOnlyTheLastResponseSaysClose() {
        start(9001);
        send("GET /a HTTP/1.1\r\nHost: app\r\n\r\nGET /b HTTP/1.1\r\nHost: app\r\n\r\n");
        Dialed w = dialed.get(0);
        assertTrue(w.received().startsWith("GET /a"));
        rotation.callLast();
        client.pipeline().fireUserEventTriggered(Front.LastCall.INSTANCE);
        w.answer("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na");
        String first = clientGot();
        assertFalse(first.toLowerCase().contains("connection: close"), "/b is already sent: not the last: " + first);
        assertTrue(client.isActive());
        assertTrue(w.received().startsWith("GET /b"), "the pipelined request goes on");
        w.answer("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb");
        assertTrue(clientGot().toLowerCase().contains("connection: close"));
        assertFalse(client.isActive());
    }

    @Test
    void atTheLastCallPartOfANextRequestKeepsTheConnectionFromBeingClosedAsIdle() {
        start(9001);
        rotation.callLast();
        client.pipeline().fireUserEventTriggered(Front.LastCall.INSTANCE);
        client.advanceTimeBy(HttpRelay.LAST_CALL_IDLE.toMillis() - 100, TimeUnit.MILLISECONDS);
        send("GET /a HTTP/1.1\r\nHo"); // a head still in the codec: no message for the relay yet
        client.pipeline().fireChannelReadComplete();
        client.advanceTimeBy(200, TimeUnit.MILLISECONDS);
        client.runPendingTasks();
        assertTrue(client.isActive(), "bytes of a request came: not idle");
        send("st: app\r\n\r\n");
        assertTrue(dialed.get(0).received().startsWith("GET /a"));
        dialed.get(0).answer("HTTP/1.1 204 No Content\r\n\r\n");
        assertTrue(clientGot().toLowerCase().contains("connection: close"));
        assertFalse(client.isActive());
    }

    @Test
    void theWorkerGetsOriginFormAndAHostEvenWhenTheClientSentNeither() {
        start(9001);
        send("GET http://app:8080/x?q=1 HTTP/1.1\r\nHost: app:8080\r\n\r\n");
        Dialed w = dialed.get(0);
        String got = w.received();
        assertTrue(got.startsWith("GET /x?q=1 HTTP/1.1\r\n"), got);
        w.answer("HTTP/1.1 204 No Content\r\n\r\n");
        clientGot();
        send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        got = w.received();
        assertTrue(got.startsWith("GET / HTTP/1.1\r\n") && got.toLowerCase().contains("\r\nhost: localhost\r\n"),
                "HTTP/1.1 needs a Host: " + got);
        assertFalse(got.toLowerCase().contains("x-forwarded-host"), "the client sent none: " + got);
    }

    @Test
    void aBodyFoundMalformedBeforeAnyWorkerHasTheHeadReachesNone() {
        start(); // no worker in rotation: the request waits, and its bad body arrives meanwhile
        send("POST / HTTP/1.1\r\nHost: app\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
        assertTrue(clientGot().startsWith("HTTP/1.1 400 Bad Request\r\n"));
        rotation.publish(List.of(new Route(1, 9001)));
        assertTrue(dialed.isEmpty(), "no worker ever sees it");
        assertFalse(client.isActive());
    }

    @Test
    void aClientThatHalfClosesMidBodyWhileItsRequestWaitsReachesNoWorker() {
        start();
        send("POST / HTTP/1.1\r\nHost: app\r\nContent-Length: 10\r\n\r\nhello");
        client.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        rotation.publish(List.of(new Route(1, 9001)));
        client.runPendingTasks();
        assertTrue(dialed.isEmpty(), "a request that can never be completed goes nowhere");
        assertFalse(client.isActive());
        assertEquals(0, rotation.openConnections(1));
    }

    @Test
    void aWholeRequestFollowedByTheClientsFinStillGetsItsAnswerThenTheClose() {
        start();
        send("GET / HTTP/1.1\r\nHost: app\r\n\r\n");
        client.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        rotation.publish(List.of(new Route(1, 9001)));
        client.runPendingTasks();
        dialed.get(0).answer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        String res = clientGot();
        assertTrue(res.startsWith("HTTP/1.1 200 OK\r\n") && res.toLowerCase().contains("connection: close"), res);
        assertFalse(client.isActive());
    }

    @Test
    void aReplayedRequestIsSentWholeSoItsSecondWorkerIsWatchedToo() {
        start(9001, 9002);
        send("GET / HTTP/1.1\r\nHost: app\r\n\r\n");
        dialed.get(0).channel().close();
        Dialed second = dialed.get(1);
        assertTrue(second.received().startsWith("GET / HTTP/1.1\r\n"));
        client.advanceTimeBy(RESPONSE_TIMEOUT.toMillis() + 1, TimeUnit.MILLISECONDS);
        client.runScheduledPendingTasks();
        assertTrue(clientGot().startsWith("HTTP/1.1 504 Gateway Timeout\r\n"), "the replay awaited its answer, and timed out");
        assertEquals(0, rotation.openConnections(1) + rotation.openConnections(2));
    }

    @Test
    void aPipelinedRequestsBadBodyIsNotBlamedOnTheRequestBeforeIt() {
        start();
        send("GET /a HTTP/1.1\r\nHost: app\r\n\r\nPOST /b HTTP/1.1\r\nHost: app\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
        rotation.publish(List.of(new Route(1, 9001)));
        client.runPendingTasks();
        Dialed w = dialed.get(0);
        assertTrue(w.received().startsWith("GET /a HTTP/1.1\r\n"));
        w.answer("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na");
        String res = clientGot();
        assertTrue(res.startsWith("HTTP/1.1 200 OK\r\n"), "GET /a is answered: " + res);
        assertTrue(res.contains("HTTP/1.1 400 Bad Request\r\n"), "then POST /b is refused: " + res);
        assertFalse(client.isActive());
    }

    @Test
    void aResponseHeadReachesTheClientBeforeItsBodyExists() {
        start(9001);
        send("GET /events HTTP/1.1\r\nHost: app\r\n\r\n");
        Dialed w = dialed.get(0);
        w.answer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        assertTrue(clientGot().startsWith("HTTP/1.1 200 OK\r\n"), "a long poll's head is not held back for its body");
        w.answer("5\r\nhello\r\n");
        assertEquals("5\r\nhello\r\n", clientGot());
        w.answer("0\r\n\r\n");
        assertEquals("0\r\n\r\n", clientGot());
    }

    @Test
    void aHundredContinueReachesTheClientAndThenTheBodyTheWorker() {
        start(9001);
        send("POST /up HTTP/1.1\r\nHost: app\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
        Dialed w = dialed.get(0);
        assertTrue(w.received().contains("100-continue"));
        w.answer("HTTP/1.1 100 Continue\r\n\r\n");
        assertEquals("HTTP/1.1 100 Continue\r\n\r\n", clientGot());
        send("hello");
        assertEquals("hello", w.received());
        w.answer("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
        assertTrue(clientGot().startsWith("HTTP/1.1 201 Created\r\n"));
    }

    @Test
    void anUpgradeBecomesAByteStreamWithTheBytesSentBehindTheRequest() {
        start(9001);
        send("GET /ws HTTP/1.1\r\nHost: app\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nEARLY");
        Dialed w = dialed.get(0);
        String got = w.received();
        assertTrue(got.contains("Upgrade: websocket\r\n") || got.contains("upgrade: websocket\r\n"), got);
        w.answer("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
        assertTrue(clientGot().startsWith("HTTP/1.1 101 Switching Protocols\r\n"));
        assertEquals("EARLY", w.received(), "what the client sent behind its request reaches the worker, raw");
        w.answer("PONG");
        assertEquals("PONG", clientGot());
        send("PING");
        assertEquals("PING", w.received());
        assertEquals(1, rotation.openConnections(1), "an upgraded connection counts toward its worker until it closes");
        w.channel().close();
        assertEquals(0, rotation.openConnections(1));
        assertFalse(client.isActive());
    }

    @Test
    void aChunkedBodyFoundMalformedMidwayIsNeverCompletedUpstream() {
        start(9001);
        send("POST /upload HTTP/1.1\r\nHost: app\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1_0\r\n0123456789abcdef\r\n0\r\n\r\n");
        assertEquals(1, dialed.size());
        Dialed w = dialed.get(0);
        String got = w.received();
        assertTrue(got.startsWith("POST /upload HTTP/1.1\r\n") && got.contains("5\r\nhello\r\n"), got);
        assertFalse(got.contains("0\r\n\r\n"), "the worker must not see the body end: " + got);
        assertFalse(w.channel().isActive(), "the worker's connection is closed mid-request");
        String res = clientGot();
        assertTrue(res.startsWith("HTTP/1.1 400 Bad Request\r\n"), res);
        assertFalse(client.isActive(), "and the client's");
        assertEquals(0, rotation.openConnections(1), "the worker's count is given back");
    }

    @Test
    void aRequestTheRulesRefuseNeverReachesAWorker() {
        start(9001);
        send("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
        assertTrue(clientGot().startsWith("HTTP/1.1 400 Bad Request\r\n"));
        assertTrue(dialed.isEmpty());
        assertFalse(client.isActive());
    }

    @Test
    void aGetWhoseWorkerClosesSilentlyGoesToAnotherOnceAndAPostGets502() {
        start(9001, 9002);
        send("GET / HTTP/1.1\r\nHost: app\r\n\r\n");
        Dialed first = dialed.get(0);
        first.received();
        first.channel().close();
        assertEquals(2, dialed.size(), "replayed on the other worker");
        Dialed second = dialed.get(1);
        assertTrue(first.port() != second.port());
        assertTrue(second.received().startsWith("GET / HTTP/1.1\r\n"));
        second.answer("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx");
        assertTrue(clientGot().startsWith("HTTP/1.1 200 OK\r\n"));

        send("POST / HTTP/1.1\r\nHost: app\r\nContent-Length: 1\r\n\r\ny");
        Dialed last = dialed.get(dialed.size() - 1);
        assertTrue(last.received().endsWith("\r\n\r\ny"));
        int before = dialed.size();
        last.channel().close();
        assertEquals(before, dialed.size(), "a POST is never replayed");
        assertTrue(clientGot().startsWith("HTTP/1.1 502 Bad Gateway\r\n"));
    }

    @Test
    void aResponseFramedByTheWorkersCloseIsChunkedSoTheClientKeepsItsConnection() {
        start(9001);
        send("GET / HTTP/1.1\r\nHost: app\r\n\r\n");
        Dialed w = dialed.get(0);
        w.answer("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nabc");
        w.channel().close();
        String res = clientGot();
        assertTrue(res.contains("transfer-encoding: chunked\r\n"), res);
        assertTrue(res.contains("3\r\nabc\r\n") && res.endsWith("0\r\n\r\n"), res);
        assertFalse(res.toLowerCase().contains("connection: close"), res);
        assertTrue(client.isActive());
    }

    @Test
    void aWorkerSilentPastResponseTimeoutGets504AndTheConnectionGoesOn() {
        start(9001);
        send("GET / HTTP/1.1\r\nHost: app\r\n\r\n");
        Dialed w = dialed.get(0);
        client.advanceTimeBy(RESPONSE_TIMEOUT.toMillis() - 1, TimeUnit.MILLISECONDS);
        client.runScheduledPendingTasks();
        assertEquals("", clientGot(), "not before response-timeout");
        client.advanceTimeBy(2, TimeUnit.MILLISECONDS);
        client.runScheduledPendingTasks();
        assertTrue(clientGot().startsWith("HTTP/1.1 504 Gateway Timeout\r\n"));
        assertFalse(w.channel().isActive(), "the stalled worker connection is closed");
        assertTrue(client.isActive(), "the client's connection goes on");
        assertEquals(0, rotation.openConnections(1));
    }
}
