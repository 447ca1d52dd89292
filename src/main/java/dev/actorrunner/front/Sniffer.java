package dev.actorrunner.front;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Auto mode, one per connection until it has decided: reads the client's first bytes, asks
 * {@link Sniff} what they are, installs the http or the tcp handlers after itself, removes itself
 * and hands them the bytes it read (Netty's port unification). The new handlers start as on a new
 * connection: they get channelActive first, then the bytes, then the client's FIN if that came
 * during the sniff. The installed relay (or the http counter ahead of the codec) counts the bytes once.
 *
 * <p>Pinned as in tcp mode: a connection whose bytes are not HTTP/1.x, one that sends its FIN
 * before they decide, and one still undecided after sniff-timeout, silent or not: its server may
 * speak first (SMTP, MySQL), or its client may wait for an answer to a first line that only looks
 * like the start of a request line. An HTTP client sends its request line at once, in one write.
 *
 * <p>Cheap: the first read's buffer is kept as it is; only a second read before the decision
 * merges into it (Netty's cumulator). Per connection there is this handler and its timer task.
 * Everything runs on the connection's event loop; child channels do not auto-read, so this
 * handler asks for each read itself, and the relays take over asking once installed.
 */
final class Sniffer extends ChannelInboundHandlerAdapter implements Runnable {

    /** What the two verdicts install, after the sniffer's own context in the same pipeline. */
    interface Pipelines {
        /** The http pipeline (codec and per-request relay). */
        void perRequest(ChannelHandlerContext sniffer);

        /** The tcp pipeline (a pinned relay). */
        void pinned(ChannelHandlerContext sniffer);
    }

    private final Pipelines pipelines;
    private final int maxLine;
    private final long timeoutNanos;
    private ChannelHandlerContext ctx;
    private ByteBuf held;
    private Future<?> timer;
    private boolean decided;

    Sniffer(Pipelines pipelines, int maxLine, long timeoutNanos) {
        this.pipelines = pipelines;
        this.maxLine = maxLine;
        this.timeoutNanos = timeoutNanos;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        // Not passed on: the handlers installed later get their own channelActive.
        this.ctx = ctx;
        timer = ctx.executor().schedule(this, timeoutNanos, TimeUnit.NANOSECONDS);
        ctx.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (decided || !(msg instanceof ByteBuf bytes)) {
            ctx.fireChannelRead(msg);
            return;
        }
        held = held == null ? bytes : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), held, bytes);
        switch (Sniff.of(held, maxLine)) {
            case HTTP -> decide(true, null);
            case OTHER -> decide(false, null);
            case MORE -> ctx.read();
        }
    }

    /** sniff-timeout: silent, or still undecided. */
    @Override
    public void run() {
        if (!decided && ctx.channel().isActive()) decide(false, null);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (!decided && evt instanceof ChannelInputShutdownEvent) {
            decide(false, evt); // the line can never be completed: pinned, FIN and all
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    private void decide(boolean http, Object event) {
        decided = true;
        timer.cancel(false);
        if (http) {
            pipelines.perRequest(ctx);
        } else {
            pipelines.pinned(ctx);
        }
        ByteBuf bytes = held;
        held = null;
        // A removed context still passes events on to what followed it: the new handlers.
        ctx.pipeline().remove(this);
        ctx.fireChannelActive();
        if (bytes != null) {
            ctx.fireChannelRead(bytes);
            ctx.fireChannelReadComplete();
        }
        if (event != null) ctx.fireUserEventTriggered(event);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!decided) {
            decided = true;
            if (timer != null) timer.cancel(false);
            ReferenceCountUtil.release(held);
            held = null;
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
