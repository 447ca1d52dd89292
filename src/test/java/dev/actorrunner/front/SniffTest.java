package dev.actorrunner.front;

import static dev.actorrunner.front.Sniff.Verdict.HTTP;
import static dev.actorrunner.front.Sniff.Verdict.MORE;
import static dev.actorrunner.front.Sniff.Verdict.OTHER;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Auto mode's decision over byte sequences: HTTP/1.x request lines, everything else, and what is not yet either. */
class SniffTest {
    private static final int MAX = 8192;

    private static Sniff.Verdict of(String ascii) {
        return of(ascii.getBytes(StandardCharsets.ISO_8859_1), MAX);
    }

    private static Sniff.Verdict of(byte[] bytes, int maxLine) {
        ByteBuf buf = Unpooled.wrappedBuffer(bytes);
        int reader = buf.readerIndex();
        Sniff.Verdict v = Sniff.of(buf, maxLine);
        assertEquals(reader, buf.readerIndex(), "the sniff reads in place");
        return v;
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.0\r\n\r\n",
        "POST /upload?x=1 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
        "OPTIONS * HTTP/1.1\r\n",
        "CONNECT example.org:443 HTTP/1.1\r\n",
        "GET http://example.org/ HTTP/1.1\r\n",
        "PROPFIND /dav HTTP/1.1\r\n",
        "M-SEARCH * HTTP/1.1\r\n",
        "GET / HTTP/1.1\r",   // decided at the CR: the codec checks the LF
        "GET / HTTP/1.1\n",   // a bare LF: still HTTP/1.x, which the codec then refuses with 400, as http mode does
        // Methods are case-sensitive tokens: lower case is a method the app may refuse, as in http mode.
        "get / HTTP/1.1\r\n",
        "Get /x HTTP/1.0\r\n",
        "X~Y.Z!#$%&'*+^_`| / HTTP/1.1\r\n",
    })
    void anHttp1RequestLineIsRoutedPerRequest(String first) {
        assertEquals(HTTP, of(first));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", "G", "GET", "GET ", "GET /", "GET /index.html", "GET / ", "GET / H", "GET / HTTP/1.", "GET / HTTP/1.1",
        "hello", // a lower-case word may still be a method
    })
    void aLineThatMayStillBecomeOneWaitsForMore(String prefix) {
        assertEquals(MORE, of(prefix));
    }

    @Test
    void theHttp2PrefaceIsPinnedAtItsVersion() {
        assertEquals(OTHER, of("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
        assertEquals(MORE, of("PRI * HTTP/"), "PRI looks like a method, * like a target");
        assertEquals(OTHER, of("PRI * HTTP/2"), "decided at the 2");
    }

    @Test
    void aTlsClientHelloIsPinnedAtItsFirstByte() {
        assertEquals(OTHER, of(new byte[] {0x16}, MAX));
        assertEquals(OTHER, of(new byte[] {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, (byte) 0xfc, 0x03, 0x03}, MAX));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        " GET / HTTP/1.1\r\n",    // a space cannot start a method
        "\r\nGET / HTTP/1.1\r\n", // nor can a line end
        "GET  / HTTP/1.1\r\n",    // two spaces
        "GET / HTTP/1.1 \r\n",    // a space after the version
        "GET / HTTP/1.2\r\n",
        "GET / HTTP/1.10\r\n",
        "GET / http/1.1\r\n",     // the version's name is upper case
        "GET / HTTP/2.0\r\n",
        "GET /\r\n",              // HTTP/0.9
        "GET / HTTP/1.1 extra\r\n",
        "GET /a\tb HTTP/1.1\r\n", // a control character in the target
        "GE(T / HTTP/1.1\r\n",    // not a token
        "SSH-2.0-OpenSSH_9.6\r\n",
        "*1\r\n$4\r\nPING\r\n",   // Redis
        "EHLO mail.example.org\r\n",
        "hello\n",
    })
    void anythingElseIsPinned(String first) {
        assertEquals(OTHER, of(first));
    }

    @Test
    void binaryJunkIsPinnedAtItsFirstByte() {
        for (int b = 0; b < 256; b++) {
            byte[] one = {(byte) b};
            boolean tchar = Sniff.isTchar((byte) b);
            assertEquals(tchar ? MORE : OTHER, of(one, MAX), "first byte 0x" + Integer.toHexString(b));
        }
        assertEquals(OTHER, of(new byte[] {0, 0, 0, 8, 4, (byte) 0xd2, 0x16, 0x2f}, MAX), "PostgreSQL's SSLRequest");
        assertEquals(OTHER, of(new byte[] {'G', 'E', 'T', 0}, MAX));
    }

    @Test
    void aLineOverTheBoundIsPinnedAndOneAtItIsNot() {
        int max = 256;
        String fits = "GET /" + "a".repeat(max - "GET / HTTP/1.1".length()) + " HTTP/1.1";
        assertEquals(max, fits.length());
        assertEquals(HTTP, of((fits + "\r\n").getBytes(StandardCharsets.US_ASCII), max));
        String over = "GET /a" + fits.substring(5);
        assertEquals(OTHER, of((over + "\r\n").getBytes(StandardCharsets.US_ASCII), max));
        // Undecided at the bound is pinned too, whatever comes after.
        assertEquals(MORE, of(("GET /" + "a".repeat(max - 5)).getBytes(StandardCharsets.US_ASCII), max));
        assertEquals(OTHER, of(("GET /" + "a".repeat(max - 4)).getBytes(StandardCharsets.US_ASCII), max));
    }

    @Test
    void itReadsFromTheReaderIndex() {
        ByteBuf buf = Unpooled.copiedBuffer("xxGET / HTTP/1.1\r\n", StandardCharsets.US_ASCII);
        buf.skipBytes(2);
        assertEquals(HTTP, Sniff.of(buf, MAX));
        assertEquals(2, buf.readerIndex());
    }
}
