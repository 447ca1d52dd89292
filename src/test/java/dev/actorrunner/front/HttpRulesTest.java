package dev.actorrunner.front;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actorrunner.front.HttpRules.Refusal;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The request rules on request heads as Netty's decoder hands them over, without validation of its own. */
class HttpRulesTest {

    static Stream<Arguments> heads() {
        return Stream.of(
                // accepted
                ok("GET / HTTP/1.1\nHost: a"),
                ok("GET /a/b?c=d&e=/f HTTP/1.1\nHost: a.example:8080"),
                ok("GET //double HTTP/1.1\nHost: a"),
                ok("GET /caf\u00e9 HTTP/1.1\nHost: a"),
                ok("GET / HTTP/1.0"),
                ok("GET / HTTP/1.0\nHost: a"),
                ok("GET / HTTP/1.2\nHost: a"),
                ok("OPTIONS * HTTP/1.1\nHost: a"),
                ok("GET http://a.example/x?y HTTP/1.1\nHost: a.example"),
                ok("GET HTTPS://A.example:8443 HTTP/1.1\nHost: a.EXAMPLE:8443"),
                ok("GET http://a/ HTTP/1.0"),
                ok("GET / HTTP/1.1\nHost: [::1]:8080"),
                ok("GET / HTTP/1.1\nHost: 127.0.0.1"),
                ok("GET / HTTP/1.1\nHost: a:"),
                ok("GET / HTTP/1.1\nHost: xn--bcher-kva.example"),
                ok("GET / HTTP/1.1\nHost: a%20b"),
                ok("POST / HTTP/1.1\nHost: a\nContent-Length: 0"),
                ok("POST / HTTP/1.1\nHost: a\nContent-Length: 123456789012345678"),
                ok("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked"),
                ok("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: CHUNKED"),
                ok("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: gzip, chunked"),
                ok("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: gzip ,, chunked"),
                ok("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: gzip\nTransfer-Encoding: chunked"),
                ok("GET / HTTP/1.1\nHost: a\nConnection: keep-alive, Upgrade\nUpgrade: websocket"),
                ok("GET / HTTP/1.1\nHost: a\nConnection: X-Hosted"),
                ok("get / HTTP/1.1\nHost: a"),
                ok("PURGE / HTTP/1.1\nHost: a"),

                // version
                no("GET / HTTP/2.0\nHost: a", Refusal.VERSION),
                no("GET / HTTP/0.9\nHost: a", Refusal.VERSION),
                no("GET / HTTP/3.0\nHost: a", Refusal.VERSION),

                // target forms
                no("GET foo/bar HTTP/1.1\nHost: a", Refusal.TARGET_FORM),
                no("GET foo HTTP/1.1\nHost: a", Refusal.TARGET_FORM),
                no("GET * HTTP/1.1\nHost: a", Refusal.ASTERISK_FORM),
                no("POST * HTTP/1.1\nHost: a", Refusal.ASTERISK_FORM),
                no("OPTIONS *x HTTP/1.1\nHost: a", Refusal.TARGET_FORM),
                no("GET a.example:80 HTTP/1.1\nHost: a.example:80", Refusal.AUTHORITY_FORM),
                no("CONNECT a.example:443 HTTP/1.1\nHost: a.example:443", Refusal.CONNECT),
                no("CONNECT / HTTP/1.1\nHost: a", Refusal.CONNECT),
                no("GET ws://a/x HTTP/1.1\nHost: a", Refusal.TARGET_SCHEME),
                no("GET ftp://a/x HTTP/1.1\nHost: a", Refusal.TARGET_SCHEME),
                no("GET http:///x HTTP/1.1\nHost: a", Refusal.TARGET_AUTHORITY),
                no("GET http://u@a/x HTTP/1.1\nHost: a", Refusal.TARGET_AUTHORITY),
                no("GET http://a\u0001b/ HTTP/1.1\nHost: a", Refusal.TARGET_CHARACTER),
                no("GET /a#frag HTTP/1.1\nHost: a", Refusal.TARGET_CHARACTER),
                no("GET /a\u0000b HTTP/1.1\nHost: a", Refusal.TARGET_CHARACTER),
                no("GET /a\u0001b HTTP/1.1\nHost: a", Refusal.TARGET_CHARACTER),
                no("GET /a\u007fb HTTP/1.1\nHost: a", Refusal.TARGET_CHARACTER),
                no("GET /a\tb HTTP/1.1\nHost: a", Refusal.TARGET_CHARACTER),

                // Host
                no("GET / HTTP/1.1\nHost: a\nHost: b", Refusal.DUPLICATE_HOST),
                no("GET / HTTP/1.1\nHost: a\nHost: a", Refusal.DUPLICATE_HOST),
                no("GET / HTTP/1.1\nhost: a\nHOST: a", Refusal.DUPLICATE_HOST),
                no("GET / HTTP/1.0\nHost: a\nHost: b", Refusal.DUPLICATE_HOST),
                no("GET / HTTP/1.1", Refusal.MISSING_HOST),
                no("GET / HTTP/1.1\nX-Host: a", Refusal.MISSING_HOST),
                no("GET / HTTP/1.1\nHost: ", Refusal.INVALID_HOST),
                no("GET / HTTP/1.1\nHost: a b", Refusal.INVALID_HOST),
                no("GET / HTTP/1.1\nHost: a, b", Refusal.INVALID_HOST),
                no("GET / HTTP/1.1\nHost: u@a", Refusal.INVALID_HOST),
                no("GET / HTTP/1.1\nHost: a/b", Refusal.INVALID_HOST),
                no("GET / HTTP/1.1\nHost: a:80x", Refusal.INVALID_HOST),
                no("GET / HTTP/1.1\nHost: a:80:81", Refusal.INVALID_HOST),
                no("GET / HTTP/1.1\nHost: :80", Refusal.INVALID_HOST),
                no("GET / HTTP/1.1\nHost: [::1", Refusal.INVALID_HOST),
                no("GET / HTTP/1.1\nHost: []", Refusal.INVALID_HOST),
                no("GET / HTTP/1.1\nHost: a\\b", Refusal.INVALID_HOST),
                no("GET / HTTP/1.1\nHost: caf\u00e9", Refusal.INVALID_HOST),
                no("GET http://a/x HTTP/1.1\nHost: b", Refusal.HOST_MISMATCH),
                no("GET http://a:80/x HTTP/1.1\nHost: a", Refusal.HOST_MISMATCH),
                no("GET http://a/x HTTP/1.1", Refusal.MISSING_HOST),

                // Content-Length (Netty's decoder refuses these too with Front's settings)
                no("POST / HTTP/1.1\nHost: a\nContent-Length: 5\nContent-Length: 6", Refusal.INVALID_CONTENT_LENGTH),
                no("POST / HTTP/1.1\nHost: a\nContent-Length: 5\nContent-Length: 5", Refusal.INVALID_CONTENT_LENGTH),
                no("POST / HTTP/1.1\nHost: a\nContent-Length: 5, 6", Refusal.INVALID_CONTENT_LENGTH),
                no("POST / HTTP/1.1\nHost: a\nContent-Length: 5, 5", Refusal.INVALID_CONTENT_LENGTH),
                no("POST / HTTP/1.1\nHost: a\nContent-Length: +5", Refusal.INVALID_CONTENT_LENGTH),
                no("POST / HTTP/1.1\nHost: a\nContent-Length: -5", Refusal.INVALID_CONTENT_LENGTH),
                no("POST / HTTP/1.1\nHost: a\nContent-Length: 0x5", Refusal.INVALID_CONTENT_LENGTH),
                no("POST / HTTP/1.1\nHost: a\nContent-Length: ", Refusal.INVALID_CONTENT_LENGTH),
                no("POST / HTTP/1.1\nHost: a\nContent-Length: 1234567890123456789", Refusal.INVALID_CONTENT_LENGTH),

                // Transfer-Encoding
                no("POST / HTTP/1.1\nHost: a\nContent-Length: 5\nTransfer-Encoding: chunked",
                        Refusal.CONTENT_LENGTH_AND_TRANSFER_ENCODING),
                no("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\nContent-Length: 5",
                        Refusal.CONTENT_LENGTH_AND_TRANSFER_ENCODING),
                no("POST / HTTP/1.0\nTransfer-Encoding: chunked", Refusal.TRANSFER_ENCODING_HTTP_1_0),
                no("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: gzip", Refusal.NOT_CHUNKED),
                no("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: identity", Refusal.NOT_CHUNKED),
                no("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked, gzip", Refusal.NOT_CHUNKED),
                no("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\nTransfer-Encoding: gzip", Refusal.NOT_CHUNKED),
                no("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked, chunked", Refusal.NOT_CHUNKED),
                no("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: xchunked", Refusal.NOT_CHUNKED),
                no("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked;x=y", Refusal.NOT_CHUNKED),
                no("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: ", Refusal.NOT_CHUNKED),
                no("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: foo, chunked", Refusal.UNKNOWN_CODING),
                no("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: identity, chunked", Refusal.UNKNOWN_CODING),

                // Connection options that would strip framing or Host in the relay
                no("POST / HTTP/1.1\nHost: a\nContent-Length: 5\nConnection: Content-Length", Refusal.CONNECTION_OPTION),
                no("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\nConnection: keep-alive, transfer-encoding",
                        Refusal.CONNECTION_OPTION),
                no("GET / HTTP/1.1\nHost: a\nConnection: close\nConnection: HOST", Refusal.CONNECTION_OPTION));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("heads")
    void refusesWhatRfc9112RefusesAndNothingElse(String head, Refusal expected) {
        assertEquals(expected, HttpRules.check(parse(head)), () -> show(head));
    }

    @Test
    void everyRefusalIsA400501Or505WithAOneLineReason() {
        for (Refusal r : Refusal.values()) {
            assertTrue(r.status.code() == 400 || r.status.code() == 501 || r.status.code() == 505, r.name());
            assertTrue(!r.reason.isBlank() && r.reason.indexOf('\n') < 0, r.name());
        }
    }

    @Test
    void theTargetAWorkerGetsIsOriginForm() {
        assertEquals("/x?y", HttpRules.originForm("http://a/x?y"));
        assertEquals("/", HttpRules.originForm("https://a:8443"));
        assertEquals("/?q", HttpRules.originForm("HTTP://a?q"));
        assertEquals("/x", HttpRules.originForm("/x"));
        assertEquals("*", HttpRules.originForm("*"));
    }

    /**
     * The corpus and RFC 9112's list, as bytes through Front's decoder settings: each head is
     * refused by the decoder or by the rules (the body cases are the relay's: see StrictHttpTest).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedOnTheWire")
    void eachMalformedHeadOnTheWireIsRefusedByTheDecoderOrTheRules(String what, String raw) {
        EmbeddedChannel ch = new EmbeddedChannel(new HttpServerCodec(Front.decoderConfig(dev.actorrunner.config.RunnerSettings.Http.DEFAULTS)));
        try {
            ch.writeInbound(Unpooled.copiedBuffer(raw, StandardCharsets.ISO_8859_1));
            Object first = ch.readInbound();
            assertNotNull(first, "the decoder produced nothing");
            HttpRequest r = (HttpRequest) first;
            boolean refused = r.decoderResult().isFailure() || HttpRules.check(r) != null;
            assertTrue(refused, () -> what + ": accepted by the decoder and the rules: " + r.method() + " "
                    + r.uri() + " " + r.protocolVersion() + " " + r.headers());
        } finally {
            for (Object m; (m = ch.readInbound()) != null; ) ReferenceCountUtil.release(m);
            ch.finishAndReleaseAll();
        }
    }

    static Stream<Arguments> malformedOnTheWire() {
        String next = "GET /next HTTP/1.1\r\nHost: a\r\n\r\n";
        return Stream.of(
                Arguments.of("two Host", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n" + next),
                Arguments.of("no Host", "GET / HTTP/1.1\r\n\r\n" + next),
                Arguments.of("Host with a space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n" + next),
                Arguments.of("Host folded", "GET / HTTP/1.1\r\nHost: a\r\n b\r\n\r\n" + next),
                Arguments.of("target foo/bar", "GET foo/bar HTTP/1.1\r\nHost: a\r\n\r\n" + next),
                Arguments.of("asterisk GET", "GET * HTTP/1.1\r\nHost: a\r\n\r\n" + next),
                Arguments.of("authority GET", "GET a:80 HTTP/1.1\r\nHost: a\r\n\r\n" + next),
                Arguments.of("CONNECT", "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n" + next),
                Arguments.of("NUL in target", "GET /a\u0000b HTTP/1.1\r\nHost: a\r\n\r\n" + next),
                Arguments.of("fragment", "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n" + next),
                Arguments.of("CL 5 and 6", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"),
                Arguments.of("CL list", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\nhello!"),
                Arguments.of("CL sign", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello"),
                Arguments.of("TE and CL", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
                Arguments.of("TE gzip", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\nhello"),
                Arguments.of("TE unknown", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: foo, chunked\r\n\r\n0\r\n\r\n"),
                Arguments.of("TE in 1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
                Arguments.of("space before colon", "GET / HTTP/1.1\r\nHost: a\r\nX-A : b\r\n\r\n" + next),
                Arguments.of("bare CR in value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\rc\r\n\r\n" + next),
                Arguments.of("bare LF", "GET / HTTP/1.1\r\nHost: a\nX-A: b\r\n\r\n" + next),
                Arguments.of("bad name", "GET / HTTP/1.1\r\nHost: a\r\nX(A: b\r\n\r\n" + next),
                Arguments.of("HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n" + next),
                Arguments.of("HTTP/1.1x", "GET / HTTP/1.1x\r\nHost: a\r\n\r\n" + next),
                Arguments.of("Connection: Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
                        + "Connection: Content-Length\r\n\r\nhello"));
    }

    private static Arguments ok(String head) {
        return Arguments.of(head, null);
    }

    private static Arguments no(String head, Refusal why) {
        return Arguments.of(head, why);
    }

    /** "METHOD SP target SP version" then "Name: value" lines; headers as given, unvalidated. */
    private static HttpRequest parse(String head) {
        String[] lines = head.split("\n", -1);
        String line = lines[0];
        int sp1 = line.indexOf(' ');
        int sp2 = line.lastIndexOf(' ');
        DefaultHttpHeaders headers = new DefaultHttpHeaders(false);
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.add(lines[i].substring(0, colon), lines[i].substring(colon + 1).strip());
        }
        return new DefaultHttpRequest(HttpVersion.valueOf(line.substring(sp2 + 1)),
                HttpMethod.valueOf(line.substring(0, sp1)), line.substring(sp1 + 1, sp2), headers);
    }

    private static String show(String head) {
        StringBuilder b = new StringBuilder();
        for (char c : head.toCharArray()) {
            b.append(c == '\n' ? "\\n" : c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
        }
        return b.toString();
    }
}
