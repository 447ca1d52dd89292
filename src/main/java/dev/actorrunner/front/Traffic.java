package dev.actorrunner.front;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import java.util.concurrent.atomic.LongAdder;

/**
 * The front's counters for metrics, since the runner started: connections accepted on the public
 * port, bytes read from and written to clients, connects to a worker that failed (and were tried
 * on another), connections or requests that had to wait for a ready worker, and responses that
 * did not come in time (http mode, auto mode's HTTP/1.x). The tcp relay counts the bytes it relays
 * itself; an HTTP pipeline has {@link #counter()} ahead of its codec, where the bytes are still
 * raw. Adders, so the event loops never contend on a counter.
 */
public final class Traffic {
    private final LongAdder accepted = new LongAdder();
    private final LongAdder bytesIn = new LongAdder();
    private final LongAdder bytesOut = new LongAdder();
    private final LongAdder connectFailures = new LongAdder();
    private final LongAdder queueWaits = new LongAdder();
    private final LongAdder responseTimeouts = new LongAdder();

    Traffic() {}

    /** Connections accepted on the public port. */
    public long accepted() {
        return accepted.sum();
    }

    /** Bytes read from clients (relayed towards the workers). */
    public long bytesIn() {
        return bytesIn.sum();
    }

    /** Bytes written to clients (relayed from the workers). */
    public long bytesOut() {
        return bytesOut.sum();
    }

    /** Connects to a worker in rotation that failed; each was retried on another worker. */
    public long connectFailures() {
        return connectFailures.sum();
    }

    /** Times a connection (tcp) or request (http) was parked to wait for a ready worker. */
    public long queueWaits() {
        return queueWaits.sum();
    }

    /** Exchanges (http mode, auto mode's HTTP/1.x) a worker let stall past response-timeout: answered 504, or cut. */
    public long responseTimeouts() {
        return responseTimeouts.sum();
    }

    void responseTimedOut() {
        responseTimeouts.increment();
    }

    void connectFailed() {
        connectFailures.increment();
    }

    void parked() {
        queueWaits.increment();
    }

    void connectionAccepted() {
        accepted.increment();
    }

    /** Bytes read from a client. */
    void countRead(Object msg) {
        bytesIn.add(size(msg));
    }

    /** Bytes written to a client. */
    void countWritten(Object msg) {
        bytesOut.add(size(msg));
    }

    /** The handler that counts a client's raw bytes ahead of an HTTP codec: one for all pipelines. */
    ChannelHandler counter() {
        return counter;
    }

    private final ChannelHandler counter = new Counter();

    @ChannelHandler.Sharable
    private final class Counter extends ChannelDuplexHandler {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            countRead(msg);
            ctx.fireChannelRead(msg);
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            countWritten(msg);
            ctx.write(msg, promise);
        }
    }

    private static long size(Object msg) {
        if (msg instanceof ByteBuf b) return b.readableBytes();
        if (msg instanceof ByteBufHolder h) return h.content().readableBytes();
        return 0;
    }
}
