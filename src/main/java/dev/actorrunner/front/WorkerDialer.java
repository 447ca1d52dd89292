package dev.actorrunner.front;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import java.time.Duration;

/**
 * Connects to a worker's private loopback port, on the event loop of the client connection it
 * serves, so that the pair (or the request and its worker connection) never crosses threads.
 * Both relays' connections: no auto-read (each side reads when the other has taken what it read),
 * no Nagle, pooled buffers, the connect timeout. A pinned connection also allows half-closure (a
 * FIN is passed on as a FIN); a connection for HTTP exchanges closes on the worker's FIN, which
 * ends a response framed by the close and takes the connection out of the pool.
 */
final class WorkerDialer {
    private final Bootstrap pinned;
    private final Bootstrap exchanges;

    WorkerDialer(Class<? extends Channel> channelType, Duration connectTimeout) {
        this.exchanges = new Bootstrap()
                .channel(channelType)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) connectTimeout.toMillis());
        this.pinned = exchanges.clone().option(ChannelOption.ALLOW_HALF_CLOSURE, true);
    }

    /** A pinned connection (tcp relay) to {@code 127.0.0.1:port}, on {@code loop}. */
    ChannelFuture pinned(EventLoop loop, int port, ChannelHandler handler) {
        return pinned.clone(loop).handler(handler).connect("127.0.0.1", port);
    }

    /** A connection for HTTP exchanges (http relay) to {@code 127.0.0.1:port}, on {@code loop}. */
    ChannelFuture exchanges(EventLoop loop, int port, ChannelHandler handler) {
        return exchanges.clone(loop).handler(handler).connect("127.0.0.1", port);
    }
}
