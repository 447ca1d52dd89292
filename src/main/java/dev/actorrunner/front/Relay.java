package dev.actorrunner.front;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;

/**
 * One client connection: picks a worker, connects to its private port on the same event loop, and
 * pumps bytes both ways. Netty's proxy pattern: auto-read is off and the next chunk is read only
 * once the previous one is written, so a slow reader on either side stops the other (no unbounded
 * buffer). A FIN is passed on as a FIN (half-close); the pair closes when both directions ended.
 * Everything here runs on the client channel's event loop.
 */
final class Relay extends ChannelInboundHandlerAdapter {
    private final Front front;
    private Channel client;
    private Channel worker;
    private List<Backend> refused = List.of();
    private Waiting waiting;
    private boolean clientDone;
    /**
     * Bytes read before the worker's connection is up. Auto-read is off, so this only happens when
     * the client sent its data and its FIN at once: epoll reports the hang-up and Netty reads the
     * rest right away; or in auto mode, where the {@link Sniffer} hands over what it read. Bounded
     * by that one read, or by what the sniff may read (about http.max-initial-line).
     */
    private List<Object> early;
    private boolean workerDone;

    Relay(Front front) {
        this.front = front;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        client = ctx.channel();
        waiting = new Waiting(front, client, () -> {
            refused = List.of();
            route();
        }, () -> client.close());
        route();
    }

    private void route() {
        RoutingTable table = front.table();
        Backend b = table.acquire(refused);
        if (b == null) {
            waiting.park(table);
        } else {
            connect(b);
        }
    }

    private void connect(Backend b) {
        Bootstrap bootstrap = new Bootstrap()
                .group(client.eventLoop())
                .channel(front.clientChannel)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) front.settings.connectTimeout().toMillis())
                .handler(new WorkerSide());
        bootstrap.connect("127.0.0.1", b.port).addListener((ChannelFuture f) -> connected(f, b));
    }

    private void connected(ChannelFuture f, Backend b) {
        if (f.isSuccess()) {
            worker = f.channel();
            worker.closeFuture().addListener(x -> b.release());
            if (!client.isActive()) {
                worker.close();
            } else if (early != null || clientDone) {
                sendEarly();
            } else {
                client.read();
            }
            return;
        }
        // Nothing was relayed yet, so the client never needs to know: try another worker.
        b.release();
        front.connectFailed(b);
        refused = RoutingTable.with(refused, b);
        if (client.isActive()) route();
    }

    private void sendEarly() {
        if (early != null) {
            early.forEach(worker::write);
            early = null;
            worker.flush();
        }
        if (clientDone) {
            finish(worker, workerDone);
        } else {
            client.read();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (worker == null) {
            if (early == null) early = new ArrayList<>(2);
            early.add(msg);
            return;
        }
        forward(msg, worker, client);
    }

    /** Writes a chunk, and reads the next one from its source only once it is written. */
    private void forward(Object msg, Channel to, Channel from) {
        to.writeAndFlush(msg).addListener((ChannelFuture f) -> {
            if (f.isSuccess()) {
                from.read();
            } else {
                closeBoth();
            }
        });
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            clientDone = true;
            if (worker != null) finish(worker, workerDone); // else: on connect, after the early bytes
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (waiting != null) waiting.cancel();
        if (early != null) {
            early.forEach(ReferenceCountUtil::release);
            early = null;
        }
        if (worker != null) closeOnFlush(worker);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        closeBoth();
    }

    /** One direction ended: pass the FIN on once what was written is flushed; close when both ended. */
    private void finish(Channel towards, boolean otherDone) {
        if (towards == null || otherDone) {
            closeBoth();
            return;
        }
        towards.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFuture f) -> {
            if (f.isSuccess() && towards instanceof DuplexChannel d) {
                d.shutdownOutput();
            } else {
                closeBoth();
            }
        });
    }

    private void closeBoth() {
        if (client != null) closeOnFlush(client);
        if (worker != null) closeOnFlush(worker);
    }

    private static void closeOnFlush(Channel ch) {
        if (ch.isActive()) {
            ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        } else {
            ch.close();
        }
    }

    /** The worker's side of the pair. */
    private final class WorkerSide extends ChannelInboundHandlerAdapter {
        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.read();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            forward(msg, client, ctx.channel());
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                workerDone = true;
                finish(client, clientDone);
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            closeOnFlush(client);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            closeBoth();
        }
    }
}
