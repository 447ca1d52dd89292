package dev.actorrunner.front;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;

/**
 * One pinned client connection (tcp mode, auto mode's other protocols): picks a worker, connects
 * to its private port on the same event loop, and pumps bytes both ways.
 *
 * <p>Backpressure by writability, as Netty's proxies do it: auto-read is off; what one side reads
 * is written to the other with a void promise (no promise, no listener per chunk: a failed write
 * reaches the other side's exceptionCaught, which closes both) and flushed once per read burst;
 * the next read is asked for only while the other side is writable, and again when it becomes
 * writable. So a slow reader on either side stops the other, with at most a read plus the write
 * buffer's high-water mark held per direction. A FIN is passed on as a FIN (half-close); the pair
 * closes when both directions ended. It counts the bytes it relays itself (no counting handler
 * in the pipeline). Everything here runs on the client channel's event loop.
 */
final class TcpRelay extends ChannelInboundHandlerAdapter {
    private final Rotation rotation;
    private final WorkerDialer dialer;
    private final Traffic traffic;
    private Channel client;
    private Channel worker;
    private List<Backend> refused = List.of();
    private Waiting waiting;
    private boolean clientDone;
    private boolean workerDone;
    /**
     * Bytes read before the worker's connection is up. Auto-read is off, so this only happens when
     * the client sent its data and its FIN at once: epoll reports the hang-up and Netty reads the
     * rest right away; or in auto mode, where the {@link Sniffer} hands over what it read. Bounded
     * by that one read, or by what the sniff may read (about http.max-initial-line).
     */
    private List<Object> early;

    TcpRelay(Rotation rotation, WorkerDialer dialer) {
        this.rotation = rotation;
        this.dialer = dialer;
        this.traffic = rotation.traffic();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        client = ctx.channel();
        waiting = new Waiting(rotation, client, () -> {
            refused = List.of();
            route();
        }, () -> client.close());
        route();
    }

    private void route() {
        RoutingTable table = rotation.table();
        Backend b = table.acquire(refused);
        if (b == null) {
            waiting.park(table);
        } else {
            dialer.pinned(client.eventLoop(), b.port, new WorkerSide()).addListener((ChannelFuture f) -> connected(f, b));
        }
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
        rotation.connectFailed(b);
        refused = RoutingTable.with(refused, b);
        if (client.isActive()) route();
    }

    private void sendEarly() {
        if (early != null) {
            for (Object m : early) worker.write(m, worker.voidPromise());
            early = null;
            worker.flush();
        }
        if (clientDone) {
            finish(worker, workerDone);
        } else {
            client.read();
        }
    }

    // ---- client -> worker ----

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        traffic.countRead(msg);
        if (worker == null) {
            if (early == null) early = new ArrayList<>(2);
            early.add(msg);
            return;
        }
        worker.write(msg, worker.voidPromise());
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (worker == null) return; // the connect's outcome asks for the next read
        worker.flush();
        if (worker.isWritable()) client.read();
    }

    /** The client takes what the worker sends again: read the worker again. */
    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (client.isWritable() && worker != null) worker.read();
        ctx.fireChannelWritabilityChanged();
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

    /** The worker's side of the pair: worker -> client. */
    private final class WorkerSide extends ChannelInboundHandlerAdapter {
        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.read();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            traffic.countWritten(msg);
            client.write(msg, client.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            client.flush();
            if (client.isWritable()) ctx.read();
        }

        /** The worker takes what the client sends again: read the client again. */
        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) client.read();
            ctx.fireChannelWritabilityChanged();
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
