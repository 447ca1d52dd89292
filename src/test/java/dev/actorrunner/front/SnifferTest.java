package dev.actorrunner.front;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The sniffing handler in an embedded channel: the pipeline it chooses gets channelActive, then
 * every byte already read, in order and once, then the client's FIN; and it leaves the pipeline.
 */
class SnifferTest {
    private static final Duration TIMEOUT = Duration.ofMillis(500);

    /** Stands for a relay: records what reaches it. */
    private static final class Recorder extends ChannelInboundHandlerAdapter {
        final String kind;
        final List<String> events = new ArrayList<>();
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        Recorder(String kind) {
            this.kind = kind;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            events.add("active");
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf b = (ByteBuf) msg;
            events.add("read " + b.readableBytes());
            byte[] a = new byte[b.readableBytes()];
            b.readBytes(a);
            bytes.writeBytes(a);
            b.release();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) events.add("fin");
        }
    }

    /** Installs a recorder for whichever verdict comes, and remembers it. */
    private static final class Choice implements Sniffer.Pipelines {
        Recorder chosen;
        int decisions;

        @Override
        public void perRequest(ChannelHandlerContext sniffer) {
            install(sniffer, new Recorder("http"));
        }

        @Override
        public void pinned(ChannelHandlerContext sniffer) {
            install(sniffer, new Recorder("tcp"));
        }

        private void install(ChannelHandlerContext sniffer, Recorder r) {
            decisions++;
            chosen = r;
            sniffer.pipeline().addAfter(sniffer.name(), "recorder", r);
        }
    }

    private final Choice choice = new Choice();

    private EmbeddedChannel channel(int maxLine) {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.freezeTime();
        ch.pipeline().addLast("sniffer", new Sniffer(choice, maxLine, TIMEOUT.toNanos()));
        ch.pipeline().fireChannelActive(); // as a child channel's, once its pipeline is set up
        return ch;
    }

    private static ByteBuf ascii(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
    }

    @Test
    void aRequestInPiecesReachesTheHttpPipelineWholeAndInOrder() {
        EmbeddedChannel ch = channel(8192);
        String request = "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello";
        ch.writeInbound(ascii("PO"));
        ch.writeInbound(ascii("ST /x HT"));
        assertNull(choice.chosen, "undecided while the line may still be HTTP/1.x");
        ch.writeInbound(ascii("TP/1.1\r\nHost: a\r\n"));
        assertEquals("http", choice.chosen.kind);
        ch.writeInbound(ascii("Content-Length: 5\r\n\r\nhello")); // after the decision: straight to the relay
        assertEquals(request, choice.chosen.bytes.toString(StandardCharsets.ISO_8859_1));
        assertEquals(List.of("active", "read 27", "read 26"), choice.chosen.events);
        assertNull(ch.pipeline().get("sniffer"), "the sniffer left the pipeline");
        ch.advanceTimeBy(1, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertEquals(1, choice.decisions, "the timer was cancelled");
        assertFalse(ch.finish());
    }

    @Test
    void binaryBytesArePinnedAtOnceAndPassedOnUntouched() {
        EmbeddedChannel ch = channel(8192);
        byte[] hello = {0x16, 0x03, 0x01, 0x00, (byte) 0xa5, 0x01, 0x00, 0x00, (byte) 0xa1, 0x03, 0x03, 0x00, (byte) 0xff};
        ch.writeInbound(Unpooled.wrappedBuffer(hello));
        assertEquals("tcp", choice.chosen.kind);
        assertArrayEquals(hello, choice.chosen.bytes.toByteArray());
        assertEquals(List.of("active", "read " + hello.length), choice.chosen.events);
        assertFalse(ch.finish());
    }

    @Test
    void theHttp2PrefaceIsPinnedWithEveryByteItSent() {
        EmbeddedChannel ch = channel(8192);
        ch.writeInbound(ascii("PRI * HTTP/"));
        assertNull(choice.chosen);
        ch.writeInbound(ascii("2.0\r\n\r\nSM\r\n\r\n"));
        assertEquals("tcp", choice.chosen.kind);
        assertEquals("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", choice.chosen.bytes.toString(StandardCharsets.ISO_8859_1));
        assertFalse(ch.finish());
    }

    @Test
    void aSilentConnectionIsPinnedAtSniffTimeoutWithNoBytes() {
        EmbeddedChannel ch = channel(8192);
        ch.advanceTimeBy(TIMEOUT.toMillis() - 1, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertNull(choice.chosen, "not before sniff-timeout");
        ch.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertEquals("tcp", choice.chosen.kind);
        assertEquals(List.of("active"), choice.chosen.events, "the server speaks first: the relay connects at once");
        ch.writeInbound(ascii("EHLO client\r\n"));
        assertEquals(List.of("active", "read 13"), choice.chosen.events);
        assertFalse(ch.finish());
    }

    @Test
    void aLineStillUndecidedAtSniffTimeoutIsPinnedWithWhatItSent() {
        EmbeddedChannel ch = channel(8192);
        ch.writeInbound(ascii("HELO"));
        ch.advanceTimeBy(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertEquals("tcp", choice.chosen.kind);
        assertEquals(List.of("active", "read 4"), choice.chosen.events);
        assertFalse(ch.finish());
    }

    @Test
    void aLineOverMaxInitialLineIsPinned() {
        EmbeddedChannel ch = channel(256);
        String line = "GET /" + "a".repeat(300) + " HTTP/1.1\r\n\r\n";
        ch.writeInbound(ascii(line.substring(0, 200)));
        assertNull(choice.chosen);
        ch.writeInbound(ascii(line.substring(200)));
        assertEquals("tcp", choice.chosen.kind);
        assertEquals(line, choice.chosen.bytes.toString(StandardCharsets.ISO_8859_1));
        assertFalse(ch.finish());
    }

    @Test
    void aFinBeforeTheDecisionPinsAndFollowsTheBytes() {
        EmbeddedChannel ch = channel(8192);
        ch.writeInbound(ascii("GET / HT"));
        ch.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        assertEquals("tcp", choice.chosen.kind);
        assertEquals(List.of("active", "read 8", "fin"), choice.chosen.events);
        assertFalse(ch.finish());
    }

    @Test
    void aConnectionClosedWhileSniffingReleasesWhatItHeld() {
        EmbeddedChannel ch = channel(8192);
        ByteBuf partial = ascii("GET / HT");
        ch.writeInbound(partial);
        ch.close();
        assertEquals(0, partial.refCnt(), "released");
        ch.advanceTimeBy(1, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertNull(choice.chosen, "no pipeline for a connection that is gone");
    }

    /** With the real codec behind it: the request the sniffer read arrives as one request, body and all. */
    @Test
    void theHttpCodecGetsTheSniffedBytesAsARequest() {
        List<Object> decoded = new ArrayList<>();
        Sniffer.Pipelines codec = new Sniffer.Pipelines() {
            @Override
            public void perRequest(ChannelHandlerContext sniffer) {
                sniffer.pipeline().addAfter(sniffer.name(), "sink", new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        decoded.add(msg);
                    }
                }).addAfter(sniffer.name(), "codec", new HttpServerCodec());
            }

            @Override
            public void pinned(ChannelHandlerContext sniffer) {
                throw new AssertionError("pinned");
            }
        };
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.pipeline().addLast(new Sniffer(codec, 8192, TIMEOUT.toNanos()));
        ch.pipeline().fireChannelActive();
        ch.writeInbound(ascii("GET /a?b=c HTTP/1.1\r\nHost: x\r\n\r\nGET /second HTTP/1.1\r\nHost: x\r\n\r\n"));
        assertEquals(4, decoded.size(), decoded.toString());
        assertEquals("/a?b=c", ((HttpRequest) decoded.get(0)).uri());
        assertTrue(decoded.get(1) instanceof LastHttpContent);
        assertEquals("/second", ((HttpRequest) decoded.get(2)).uri());
        assertNotNull(ch.pipeline().get("codec"));
        decoded.forEach(io.netty.util.ReferenceCountUtil::release);
        ch.finishAndReleaseAll();
    }
}
