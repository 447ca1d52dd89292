package dev.actorrunner.front;

import static dev.actorrunner.front.RawHttp.closedByPeer;
import static dev.actorrunner.front.RawHttp.read;
import static dev.actorrunner.front.RawHttp.send;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.actorrunner.config.RunnerSettings;
import dev.actorrunner.front.HttpBackends.Recorder;
import dev.actorrunner.front.Router.Route;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 14, "strict where it matters": http mode over real sockets, with a worker that frames
 * requests itself and records what it got. A malformed request gets its 4xx/5xx from the front and
 * the connection is closed; the worker never gets it complete (nothing, or a head and part of a
 * body cut off by the close of its connection).
 *
 * <p>What Netty 4.2.18's HttpServerCodec does with Front's decoder settings (strict line parsing,
 * validated headers, RFC 9112 Transfer-Encoding, no duplicate Content-Length), found with an
 * EmbeddedChannel; "head fails" = the HttpRequest has a failed decoderResult (the relay answers 400
 * today), "body fails" = the content so far, then a LastHttpContent with a failed decoderResult
 * (today the relay forwards it as the clean end of the body: the worker gets a complete, truncated
 * request and the client its 200; the decoder then discards everything the client sends, so the
 * kept-alive connection hangs), "passes" = decoded as if valid (today: forwarded).
 * <pre>
 * chunk size 1_0, +5, -5, 0x5, " 5", "\t5", "5 " (no ext), g .... body fails (NumberFormatException)
 * chunk size missing ("" or ";a=b") ............................. body fails (Empty chunk size)
 * bare LF after size or in extension; bare LF after last-chunk ... body fails (InvalidChunkExtension)
 * bare CR in size line / in extension ............................ body fails (NumberFormat / InvalidChunkExtension)
 * chunk size 80000000 and up (over int) .......................... body fails (Chunk size overflow)
 * data longer than its size / no CRLF after data / bare LF ...... body fails (InvalidChunkTermination)
 * data shorter than its size (then more bytes) ................... body fails once the next size line is bad
 * invalid trailer name ........................................... body fails; obs-fold trailer: unfolded, passes
 * trailer Content-Length ......................................... passes, Netty drops that trailer
 * "5 ;a=b" (BWS before ';') ...................................... passes (RFC 9112 7.1.1 allows BWS)
 * two Host (same or different), no Host on 1.1, empty Host,
 *   Host "a b" / "u@a" / "a/b" ................................... passes                  -> HttpRules
 * target foo/bar, * with GET, a:80 with GET, CONNECT a:443 ........ passes                  -> HttpRules
 * NUL / CTL / DEL in target, "#frag" ............................ passes (forwarded raw!)  -> HttpRules
 * target with SP; trailing SP after version ...................... head fails
 * Content-Length 5 + 6, 5 + 5, "5, 6", "5, 5", +5, -5, 0x5, "", 2^64  head fails
 * Content-Length with Transfer-Encoding .......................... head fails (ContentLengthNotAllowed)
 * Transfer-Encoding gzip / identity / xchunked / "" / "chunked, gzip" head fails (final coding must be chunked)
 * Transfer-Encoding "chunked, chunked" ........................... head fails
 * Transfer-Encoding "gzip, chunked", "foo, chunked", two TE fields passes                  -> HttpRules (501 for foo)
 * Transfer-Encoding in HTTP/1.0 .................................. head fails
 * SP or HTAB between name and colon; SP before the first header .. head fails
 * obs-fold (SP or HTAB) in a value ............................... passes, unfolded to SP (RFC 9112 5.2 allows)
 * obs-fold as the whole Transfer-Encoding value .................. head fails
 * bare CR in a value or as a line end; bare LF as a line end ..... head fails
 * NUL / CTL / DEL in a value ..................................... head fails; bytes over 0x7F pass (obs-text)
 * invalid name characters (SP ( @ 0xE9), empty name, no colon .... head fails
 * HTTP/1.2, http/1.1 (lower case), HTTP/0.9, HTTP/2.0 ............ passes (1.2 as 1.x)     -> HttpRules: 505 unless 1.x
 * HTTP/1.1x, HTTP/01.1, no version ............................... head fails
 * "GET  /  HTTP/1.1", leading SP, HTAB separators, leading CRLF .. passes, re-encoded with single SP (RFC 9112 3 allows)
 * lower-case method ("get") ...................................... passes: a valid, unknown method
 * Connection: Content-Length / Transfer-Encoding / Host .......... passes; the relay then strips that header
 *   before forwarding: a body sent unframed (smuggling)          -> HttpRules
 * </pre>
 */
class StrictHttpTest {
    private static final Duration CLOSE_WITHIN = Duration.ofSeconds(5);
    private static final String NEXT = "GET /next HTTP/1.1\r\nHost: a\r\n\r\n";
    /** A request that a worker would read as its own if the body carrying it went unframed. */
    private static final String SMUGGLED = "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n";
    private static final String CHUNKED = "POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";

    private final HttpBackends backends = new HttpBackends();
    private final List<Socket> clients = new ArrayList<>();
    private Front front;
    private Recorder worker;

    @BeforeEach
    void bind() throws Exception {
        front = Front.bind(new FrontSettings("127.0.0.1", 0, 1, Duration.ofSeconds(5), Duration.ofSeconds(2),
                RunnerSettings.Mode.HTTP, RunnerSettings.Http.DEFAULTS, FrontSettings.Passive.OFF));
        worker = backends.recorder();
        front.publish(List.of(new Route(1, worker.port())));
    }

    @AfterEach
    void close() throws Exception {
        for (Socket c : clients) c.close();
        front.close();
        backends.close();
    }

    // ---- malformed bodies: never completed upstream ----

    static Stream<Arguments> badChunkedBodies() {
        return Stream.of(
                bad("chunk size with _", CHUNKED + "1_0\r\n0123456789abcdef\r\n0\r\n\r\n" + NEXT),
                bad("chunk size with _ after a good chunk", CHUNKED + "5\r\nhello\r\n1_0\r\n0123456789abcdef\r\n0\r\n\r\n"),
                bad("chunk size with +", CHUNKED + "+5\r\nhello\r\n0\r\n\r\n" + NEXT),
                bad("chunk size with -", CHUNKED + "-5\r\nhello\r\n0\r\n\r\n" + NEXT),
                bad("chunk size 0x5", CHUNKED + "0x5\r\nhello\r\n0\r\n\r\n" + NEXT),
                bad("chunk size after SP", CHUNKED + " 5\r\nhello\r\n0\r\n\r\n" + NEXT),
                bad("chunk size after HTAB", CHUNKED + "\t5\r\nhello\r\n0\r\n\r\n" + NEXT),
                bad("chunk size missing", CHUNKED + "\r\nhello\r\n0\r\n\r\n" + NEXT),
                bad("chunk size missing before extension", CHUNKED + ";a=b\r\nhello\r\n0\r\n\r\n" + NEXT),
                bad("bare LF after chunk size", CHUNKED + "5\nhello\r\n0\r\n\r\n" + NEXT),
                bad("bare CR after chunk size", CHUNKED + "5\rhello\r\n0\r\n\r\n" + NEXT),
                bad("bare LF in chunk extension", CHUNKED + "5;a\nb\r\nhello\r\n0\r\n\r\n" + NEXT),
                bad("bare CR in chunk extension", CHUNKED + "5;a\rb\r\nhello\r\n0\r\n\r\n" + NEXT),
                bad("bare LF after the last chunk's size", CHUNKED + "5\r\nhello\r\n0\n\r\n" + NEXT),
                bad("chunk size overflow", CHUNKED + "ffffffffffffffffffff\r\nhello\r\n0\r\n\r\n" + NEXT),
                bad("chunk size over an int", CHUNKED + "80000000\r\nhello\r\n0\r\n\r\n" + NEXT),
                bad("chunk data longer than its size", CHUNKED + "3\r\nhello\r\n0\r\n\r\n" + NEXT),
                bad("chunk data shorter than its size", CHUNKED + "8\r\nhello\r\n0\r\n\r\n" + NEXT),
                bad("no CRLF after chunk data", CHUNKED + "5\r\nhello0\r\n\r\n" + NEXT),
                bad("bare LF after chunk data", CHUNKED + "5\r\nhello\n0\r\n\r\n" + NEXT),
                bad("invalid trailer name", CHUNKED + "5\r\nhello\r\n0\r\nBad Name: v\r\n\r\n" + NEXT));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badChunkedBodies")
    void aBodyThatCannotBeDecodedIsNeverCompletedUpstream(String what, String raw, int status) throws Exception {
        refused(what, raw, status);
    }

    /**
     * The worker answered before the body was all read (a 413, say); then the body turns out to be
     * malformed. The client already has its answer: the connection must close, not wait for ever
     * on a decoder that now discards all it reads.
     */
    @Test
    void aBadChunkAfterTheWorkerAnsweredClosesTheConnection() throws Exception {
        Socket s = connect();
        send(s, "POST /early HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
        RawHttp.Response early = read(s.getInputStream());
        assertTrue(early != null && early.status() == 200, () -> "the worker's early answer: " + describe(early));
        send(s, "-1\r\nx\r\n0\r\n\r\n" + NEXT);
        assertTrue(closedByPeer(s), () -> "a bad chunk after the answer: the connection stayed open "
                + CLOSE_WITHIN.toSeconds() + "s; the worker saw " + worker.seen);
        assertEquals(List.of(), worker.complete(), "the worker got a complete request");
    }

    /** Not malformed, only cut short: the client's close mid-body reaches the worker as a close, never as an end. */
    @Test
    void aClientThatClosesMidBodyLeavesTheWorkerAnIncompleteRequest() throws Exception {
        Socket s = connect();
        send(s, CHUNKED + "5\r\nhello\r\n");
        s.shutdownOutput();
        // Whether its head reached a worker depends on when the FIN came (before: none is dialed);
        // either way the runner ends the client's connection and no worker has a complete request.
        assertTrue(closedByPeer(s), "the runner closes a connection whose request can never be completed");
        assertEquals(List.of(), worker.complete(), "the worker got a complete request");
        assertTrue(worker.awaitNoneMidRequest(CLOSE_WITHIN), () -> "a worker connection still open mid-request: " + worker.seen);
    }

    /**
     * Auto mode routes a connection per request once its first line is an HTTP/1.0 or 1.1 request
     * line (else it is pinned and passed on byte for byte, as in tcp mode): from there the same
     * rules apply.
     */
    @Test
    void autoModeIsAsStrictOnceTheFirstLineIsHttp() throws Exception {
        RunnerSettings.Http h = RunnerSettings.Http.DEFAULTS;
        Front auto = Front.bind(new FrontSettings("127.0.0.1", 0, 1, Duration.ofSeconds(5), Duration.ofSeconds(2),
                RunnerSettings.Mode.AUTO, new RunnerSettings.Http(h.healthPath(), h.forwardedHeaders(), h.trustForwarded(),
                        h.maxInitialLine(), h.maxHeaderSize(), h.responseTimeout(), Duration.ofMillis(300)),
                FrontSettings.Passive.OFF));
        try {
            auto.publish(List.of(new Route(1, worker.port())));
            refusedOn(connect(auto), "auto: two Host headers", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400);
            refusedOn(connect(auto), "auto: a bad chunk size", CHUNKED + "5\r\nhello\r\n+5\r\nhello\r\n0\r\n\r\n", 400);
            Socket kept = connect(auto);
            send(kept, "GET /first HTTP/1.1\r\nHost: a\r\n\r\n");
            assertEquals(200, read(kept.getInputStream()).status(), "auto: a good first request");
            refusedOn(kept, "auto: a second request with a bad target", "GET foo/bar HTTP/1.1\r\nHost: a\r\n\r\n", 400);
        } finally {
            auto.close();
        }
    }

    // ---- malformed heads: refused before a worker is chosen ----

    static Stream<Arguments> badHeads() {
        return Stream.of(
                bad("two Host headers", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n" + NEXT),
                bad("two equal Host headers", "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n" + NEXT),
                bad("no Host in HTTP/1.1", "GET / HTTP/1.1\r\n\r\n" + NEXT),
                bad("empty Host", "GET / HTTP/1.1\r\nHost:\r\n\r\n" + NEXT),
                bad("Host with a space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n" + NEXT),
                bad("Host with userinfo", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n" + NEXT),
                bad("Host with a path", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n" + NEXT),
                bad("Host other than the absolute-form authority", "GET http://b/x HTTP/1.1\r\nHost: a\r\n\r\n" + NEXT),
                bad("target foo/bar", "GET foo/bar HTTP/1.1\r\nHost: a\r\n\r\n" + NEXT),
                bad("asterisk-form with GET", "GET * HTTP/1.1\r\nHost: a\r\n\r\n" + NEXT),
                bad("authority-form with GET", "GET a.example:80 HTTP/1.1\r\nHost: a.example:80\r\n\r\n" + NEXT),
                bad("CONNECT", "CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n" + NEXT, 501),
                bad("absolute-form with another scheme", "GET ftp://a/x HTTP/1.1\r\nHost: a\r\n\r\n" + NEXT),
                bad("NUL in target", "GET /a\u0000b HTTP/1.1\r\nHost: a\r\n\r\n" + NEXT),
                bad("CTL in target", "GET /a\u0001b HTTP/1.1\r\nHost: a\r\n\r\n" + NEXT),
                bad("fragment in target", "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n" + NEXT),
                bad("SP in target", "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n" + NEXT),
                bad("Content-Length 5 and 6", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"),
                bad("Content-Length list", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\nhello!"),
                bad("Content-Length with a sign", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello"),
                bad("Content-Length not digits", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5x\r\n\r\nhello"),
                bad("Content-Length and Transfer-Encoding", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
                bad("final coding not chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\nhello"),
                bad("chunked twice", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n"),
                bad("unknown transfer coding", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: foo, chunked\r\n\r\n"
                        + "5\r\nhello\r\n0\r\n\r\n", 501),
                bad("Transfer-Encoding in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
                bad("SP before colon", "GET / HTTP/1.1\r\nHost: a\r\nX-A : b\r\n\r\n" + NEXT),
                bad("SP before colon of Transfer-Encoding", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n"
                        + "Content-Length: 5\r\n\r\nhello"),
                bad("bare CR in a value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\rc\r\n\r\n" + NEXT),
                bad("bare LF ending a header", "GET / HTTP/1.1\r\nHost: a\nX-A: b\r\n\r\n" + NEXT),
                bad("invalid character in a name", "GET / HTTP/1.1\r\nHost: a\r\nX(A: b\r\n\r\n" + NEXT),
                bad("header without colon", "GET / HTTP/1.1\r\nHost: a\r\nXA b\r\n\r\n" + NEXT),
                bad("HTTP/2.0 on an HTTP/1 connection", "GET / HTTP/2.0\r\nHost: a\r\n\r\n" + NEXT, 505),
                bad("HTTP/0.9 in a request line", "GET / HTTP/0.9\r\nHost: a\r\n\r\n" + NEXT, 505),
                bad("HTTP/1.1x", "GET / HTTP/1.1x\r\nHost: a\r\n\r\n" + NEXT),
                bad("SP after the version", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n" + NEXT),
                bad("Connection naming Content-Length (smuggles the body)", "POST / HTTP/1.1\r\nHost: a\r\n"
                        + "Connection: Content-Length\r\nContent-Length: " + SMUGGLED.length() + "\r\n\r\n" + SMUGGLED),
                bad("Connection naming Transfer-Encoding", "POST / HTTP/1.1\r\nHost: a\r\nConnection: Transfer-Encoding\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\n" + Integer.toHexString(SMUGGLED.length()) + "\r\n"
                        + SMUGGLED + "\r\n0\r\n\r\n"),
                bad("Connection naming Host", "GET / HTTP/1.1\r\nHost: a\r\nConnection: Host\r\n\r\n" + NEXT));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badHeads")
    void aMalformedHeadIsRefusedAndNeverReachesAWorker(String what, String raw, int status) throws Exception {
        refused(what, raw, status);
    }

    // ---- what must still pass ----

    static Stream<Arguments> goodRequests() {
        return Stream.of(
                good("chunked with extensions", CHUNKED + "5;a=b\r\nhello\r\n6 ; x ; y=\"z\"\r\n world\r\n0;end\r\n\r\n",
                        "POST /upload HTTP/1.1", "hello world"),
                good("chunked with trailers", CHUNKED + "5\r\nhello\r\n0\r\nX-Sum: 5\r\n\r\n", "POST /upload HTTP/1.1", "hello"),
                good("Content-Length: 0", "POST /empty HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", "POST /empty HTTP/1.1", ""),
                good("Content-Length", "POST /cl HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", "POST /cl HTTP/1.1", "hello"),
                good("absolute-form target", "GET http://a/x?y HTTP/1.1\r\nHost: a\r\n\r\n", "GET ", ""),
                good("OPTIONS *", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", "OPTIONS * HTTP/1.1", ""),
                good("HTTP/1.0 without Host", "GET /old HTTP/1.0\r\n\r\n", "GET /old HTTP/1.1", ""),
                good("HTTP/1.2 as 1.1", "GET /v HTTP/1.2\r\nHost: a\r\n\r\n", "GET /v HTTP/1.1", ""),
                good("gzip, chunked", "POST /z HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                        "POST /z HTTP/1.1", "hello"),
                good("obs-fold, unfolded to SP", "GET /fold HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n", "GET /fold HTTP/1.1", ""),
                good("extra spaces in the request line", "GET  /sp  HTTP/1.1\r\nHost: a\r\n\r\n", "GET /sp HTTP/1.1", ""),
                good("an empty line before the request", "\r\nGET /crlf HTTP/1.1\r\nHost: a\r\n\r\n", "GET /crlf HTTP/1.1", ""),
                good("Host as an IPv6 literal with a port", "GET /v6 HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", "GET /v6 HTTP/1.1", ""),
                good("raw UTF-8 in the target", "GET /caf\u00c3\u00a9 HTTP/1.1\r\nHost: a\r\n\r\n", "GET /caf", ""));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("goodRequests")
    void aValidRequestStillReachesItsWorkerWhole(String what, String raw, String requestLine, String body) throws Exception {
        Socket s = connect();
        send(s, raw);
        RawHttp.Response res = read(s.getInputStream());
        assertTrue(res != null && res.status() == 200, () -> what + ": the client got " + describe(res)
                + "; the worker saw " + worker.seen);
        List<Recorder.Seen> complete = worker.complete();
        assertEquals(1, complete.size(), () -> what + ": the worker saw " + worker.seen);
        Recorder.Seen seen = complete.get(0);
        assertTrue(seen.requestLine().startsWith(requestLine), () -> what + ": the worker saw " + seen);
        assertEquals(body, new String(seen.body(), java.nio.charset.StandardCharsets.ISO_8859_1), () -> what + ": " + seen);
        if (what.contains("trailers")) assertTrue(seen.trailers().contains("X-Sum: 5"), () -> "trailers lost: " + seen);
        if (what.contains("obs-fold")) assertTrue(seen.head().contains("\r\nX-A: b c\r\n"), () -> "not unfolded: " + seen);
        if (what.contains("HTTP/1.0")) {
            assertTrue(res.header("connection") != null && res.header("connection").equalsIgnoreCase("close"),
                    () -> "an HTTP/1.0 client without keep-alive is told close: " + res.headers());
        } else {
            // the connection goes on
            send(s, NEXT);
            assertEquals(200, read(s.getInputStream()).status(), what + ": the next request on the connection");
        }
    }

    // ---- helpers ----

    private void refused(String what, String raw, int status) throws Exception {
        refusedOn(connect(), what, raw, status);
    }

    /**
     * The client gets {@code status} and then the close; the worker gets no complete request beyond
     * those it had, and no connection of its is left holding part of one.
     */
    private void refusedOn(Socket s, String what, String raw, int status) throws Exception {
        int before = worker.complete().size();
        send(s, raw);
        RawHttp.Response res;
        try {
            res = read(s.getInputStream());
        } catch (SocketException reset) {
            res = null;
        } catch (java.net.SocketTimeoutException silent) {
            fail(what + ": no response within " + CLOSE_WITHIN.toSeconds() + "s, connection open; the worker saw " + worker.seen);
            return;
        }
        RawHttp.Response got = res;
        if (got == null || got.status() != status) {
            fail(what + ": the client got " + describe(got) + " instead of " + status + "; the worker saw " + worker.seen);
        }
        assertTrue(closedByPeer(s), () -> what + ": the client got " + describe(got)
                + ", then its connection stayed open " + CLOSE_WITHIN.toSeconds() + "s; the worker saw " + worker.seen);
        assertEquals(before, worker.complete().size(), () -> what + ": the client got " + describe(got)
                + "; the worker got a complete request: " + worker.seen);
        assertTrue(worker.awaitNoneMidRequest(CLOSE_WITHIN), () -> what + ": the client got " + describe(got)
                + "; a worker connection is still open mid-request after " + CLOSE_WITHIN.toSeconds() + "s: " + worker.seen);
    }

    private Socket connect() throws IOException {
        return connect(front);
    }

    private Socket connect(Front to) throws IOException {
        Socket s = new Socket();
        clients.add(s);
        s.connect(to.addresses().get(0), 2000);
        s.setSoTimeout((int) CLOSE_WITHIN.toMillis());
        return s;
    }

    private static String describe(RawHttp.Response r) {
        return r == null ? "no response (closed)" : r.status() + " \"" + Recorder.Seen.visible(r.text().strip()) + "\"";
    }

    private static Arguments bad(String what, String raw) {
        return bad(what, raw, 400);
    }

    private static Arguments bad(String what, String raw, int status) {
        return Arguments.of(what, raw, status);
    }

    private static Arguments good(String what, String raw, String requestLine, String body) {
        return Arguments.of(what, raw, requestLine, body);
    }
}
