package dev.actorrunner.front;

import dev.actorrunner.config.RunnerSettings;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.AbstractScheduledEventExecutor;
import io.netty.util.concurrent.Ticker;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One client connection in http mode: a small state machine over one {@link Exchange} at a time.
 * Requests are taken one at a time (pipelined ones wait in {@link #inbox}); each goes to the ready
 * worker with the fewest outstanding requests, over an idle kept-alive connection to it or a new
 * one, and its response comes back before the next request is taken. Bodies stream both ways,
 * each chunk read only once the previous one is written. A draining worker therefore only has to
 * finish the requests it has: the client's connection belongs to the runner, not to any worker.
 *
 * <p>States: IDLE between requests; ROUTING while the request looks for a worker (or waits for
 * one); SENDING its body; AWAITING the response once the request is all sent; DISCARDING the rest
 * of a request already answered; UPGRADED once a 101 made the connection a pinned byte stream;
 * CLOSING once the connection is on its way out.
 *
 * <p>Strict: a request the codec could not decode, or that {@link HttpRules} refuses, is answered
 * 400 (or 414, 431) and never reaches a worker; a body that turns out malformed midway is never
 * completed upstream: the worker's connection is closed, so it sees an incomplete request, and
 * the client gets 400, or a cut if the response had started.
 *
 * <p>Retries, never visible to the client: a request that could not reach the worker at all
 * (refused connect, a kept-alive connection found closed when written) goes to another worker,
 * whatever its method. One that reached it but got no response byte before the connection broke
 * is sent again once only if it is idempotent and has no body; a POST is never replayed.
 *
 * <p>Nothing waits on a worker for ever: once a request is on its way, a worker that shows no
 * progress (reads none of the body, sends no byte of the response) for response-timeout gets its
 * connection closed; the client gets 504 if no byte of the response had started, or sees its
 * connection cut otherwise, as from any proxy. Time spent waiting on the client (a slow upload)
 * does not count. Sooner than that, a request whose response has not started within the passive
 * checks' time counts against its worker (see {@link Rotation#requestFailed}), and goes on waiting.
 *
 * <p>Everything here runs on the client channel's event loop, which also owns the worker
 * connections it uses.
 */
final class HttpRelay extends ChannelInboundHandlerAdapter {

    /** Opens a connection to a worker (a {@link WorkerDialer} on real sockets; tests give their own). */
    interface Dialer {
        ChannelFuture dial(EventLoop loop, int port, ChannelHandler handler);
    }

    private enum State { IDLE, ROUTING, SENDING, AWAITING, DISCARDING, UPGRADED, CLOSING }

    private final Rotation rotation;
    private final WorkerConnections pool;
    private final Dialer dialer;
    private final RunnerSettings.Http http;
    private final FrontSettings.Passive passive;
    private final ArrayDeque<Object> inbox = new ArrayDeque<>();
    private Channel client;
    private String clientIp;
    /** The address the client connected to, as a Host for an HTTP/1.0 request that has none. */
    private String localAuthority;
    /** The event loop's clock (a test's manual one on an EmbeddedChannel). */
    private Ticker ticker = Ticker.systemTicker();
    private State state = State.IDLE;
    /** Request heads and ends read from the client, and heads taken from the inbox: which message is whose. */
    private long headsRead;
    private long endsRead;
    private long headsTaken;
    /** The exchange in progress; null between requests. */
    private Exchange ex;
    private Waiting waiting;
    /** One per connection, not per request: re-armed while an exchange runs; due at watchdogAt. */
    private ScheduledFuture<?> watchdog;
    private long watchdogAt;
    /** The last call's idle check, while one is due. */
    private ScheduledFuture<?> idleTimer;
    /** When bytes last came from the client (the ticker's nanoseconds). */
    private long lastBytesAt;

    HttpRelay(Rotation rotation, WorkerConnections pool, Dialer dialer) {
        this.rotation = rotation;
        this.pool = pool;
        this.dialer = dialer;
        this.http = rotation.settings().http();
        this.passive = rotation.settings().passive();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        client = ctx.channel();
        if (client.eventLoop() instanceof AbstractScheduledEventExecutor loop) ticker = loop.ticker();
        clientIp = client.remoteAddress() instanceof InetSocketAddress a ? a.getAddress().getHostAddress() : "unknown";
        localAuthority = client.localAddress() instanceof InetSocketAddress a ? authority(a) : "localhost";
        waiting = new Waiting(rotation, client, () -> {
            if (ex == null) return;
            ex.refused = List.of();
            route();
        }, () -> respondAndClose(HttpResponseStatus.SERVICE_UNAVAILABLE, "no worker is ready\n", "1"));
        client.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (state == State.UPGRADED) {
            if (ex.worker != null) {
                forward(msg, ex.worker, client);
            } else {
                ReferenceCountUtil.release(msg); // the worker's side is gone; the client's close is on its way
            }
            return;
        }
        if (msg instanceof HttpRequest) {
            headsRead++;
        } else if (msg instanceof LastHttpContent) {
            endsRead++;
        }
        if (state == State.ROUTING && headsRead == ex.seq && msg instanceof HttpContent c && c.decoderResult().isFailure()) {
            malformed(c); // its own body is bad before any worker has the head: none will
            return;
        }
        inbox.add(msg);
        drive();
    }

    /** Whether the request of {@code e} has all come from the client (its end is read, maybe not yet taken). */
    private boolean endRead(Exchange e) {
        return endsRead >= e.seq;
    }

    /** Takes what the inbox holds as far as the state allows; reads the client when it is empty. */
    private void drive() {
        while (true) {
            if (state != State.IDLE && state != State.DISCARDING && state != State.SENDING) {
                return; // ROUTING, AWAITING, UPGRADED, CLOSING: an event will move on
            }
            if (state == State.SENDING && ex.bodyWritePending) {
                return; // one body write at a time: its listener goes on
            }
            Object m = inbox.poll();
            if (m == null) {
                client.read();
                if (state == State.IDLE && rotation.lastCall()) closeIfIdle(); // every way back to IDLE passes here
                return;
            }
            if (m instanceof HttpRequest) headsTaken++;
            if (m instanceof HttpObject o && o.decoderResult().isFailure()) {
                malformed(o);
                return;
            }
            switch (state) {
                case IDLE -> {
                    if (m instanceof HttpRequest r) {
                        begin(r);
                    } else {
                        ReferenceCountUtil.release(m); // the rest of a request already answered
                    }
                }
                case DISCARDING -> {
                    if (m instanceof LastHttpContent) state = State.IDLE;
                    ReferenceCountUtil.release(m);
                }
                default -> { // SENDING
                    sendBody((HttpContent) m);
                    return; // goes on when the write completes
                }
            }
        }
    }

    // ---- a request arrives ----

    private void begin(HttpRequest r) {
        HttpRules.Refusal refusal = HttpRules.check(r);
        if (refusal != null) {
            respondAndClose(refusal.status, refusal.reason + "\n", null);
            return;
        }
        if (isHealthCheck(r)) {
            answerHealth(r);
            return;
        }
        boolean upgrade = HttpHeaderRules.isUpgrade(r);
        ex = new Exchange(r, upgrade, headsTaken);
        HttpHeaderRules.toWorker(r, upgrade, clientIp, localAuthority, http);
        state = State.ROUTING;
        route();
    }

    /**
     * What the codec could not decode: a bad head is answered 400 (414, 431 for the size limits)
     * and never sent; a body found malformed midway is never completed upstream: its worker's
     * connection closes, so the worker sees the request cut short, and the client gets 400 if
     * no byte of the response had started, else a cut.
     */
    private void malformed(HttpObject o) {
        Throwable cause = o.decoderResult().cause();
        boolean head = o instanceof HttpRequest;
        ReferenceCountUtil.release(o);
        if (!head && ex == null) {
            closeAll(); // the rest of a request already answered: its framing is lost, and the connection with it
            return;
        }
        if (!head) {
            boolean started = ex.responseStarted;
            abandonExchange(); // before the request's end: the worker sees it cut short
            if (started) {
                closeAll();
                return;
            }
        }
        HttpResponseStatus status = cause instanceof TooLongHttpLineException ? HttpResponseStatus.REQUEST_URI_TOO_LONG
                : cause instanceof TooLongHttpHeaderException ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
                : cause instanceof TooLongFrameException ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
                : HttpResponseStatus.BAD_REQUEST;
        respondAndClose(status, status.reasonPhrase() + "\n", null);
    }

    // ---- choosing a worker ----

    private void route() {
        RoutingTable table = rotation.table();
        Backend b = table.acquire(ex.refused);
        if (b == null) {
            waiting.park(table);
            return;
        }
        ex.backend = b;
        Channel idle = ex.upgrade ? null : pool.poll(b, !ex.replayable);
        if (idle != null) {
            attach(idle, true);
        } else {
            connect(b);
        }
    }

    private void connect(Backend b) {
        Exchange e = ex;
        dialer.dial(client.eventLoop(), b.port, new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(new HttpClientCodec(), new WorkerSide(b, pool));
            }
        }).addListener((ChannelFuture f) -> {
            if (f.isSuccess()) {
                Channel ch = f.channel();
                b.connections.add(ch);
                ch.closeFuture().addListener(x -> b.connections.remove(ch));
                if (ex != e || !client.isActive()) { // the client left meanwhile
                    b.release();
                    ch.close();
                    return;
                }
                attach(ch, false);
            } else {
                rotation.connectFailed(b);
                if (ex == e) {
                    retryElsewhere(b);
                } else {
                    b.release();
                }
            }
        });
    }

    /** Nothing reached {@code b}: give its count back and try another worker, whatever the method. */
    private void retryElsewhere(Backend b) {
        b.release();
        ex.backend = null;
        ex.refused = RoutingTable.with(ex.refused, b);
        if (client.isActive()) route();
    }

    private void attach(Channel ch, boolean pooled) {
        Exchange e = ex;
        e.worker = ch;
        ch.pipeline().get(WorkerSide.class).owner = this;
        ch.writeAndFlush(e.request).addListener((ChannelFuture f) -> {
            if (ex != e || e.worker != ch) return;
            if (!f.isSuccess()) {
                // The request never reached the worker. A kept-alive connection it had closed says
                // nothing about the worker: try again, on another connection. A new one does.
                dropWorker(false);
                if (pooled) {
                    e.backend.release();
                    e.backend = null;
                    if (client.isActive()) route();
                } else {
                    retryElsewhere(e.backend);
                }
                return;
            }
            ch.read();
            state = State.SENDING;
            watch();
            drive();
        });
    }

    private void sendBody(HttpContent content) {
        Exchange e = ex;
        boolean last = content instanceof LastHttpContent;
        Channel sentOn = e.worker;
        e.bodyWritePending = true;
        sentOn.writeAndFlush(content).addListener((ChannelFuture f) -> {
            e.bodyWritePending = false;
            if (ex != e || e.worker != sentOn || state != State.SENDING) return;
            e.progressAt = ticker.nanoTime();
            if (!f.isSuccess()) {
                failExchange();
                return;
            }
            if (last) {
                e.requestSent = true;
                state = State.AWAITING;
                e.awaitingSince = e.progressAt;
                if (passive.on()) wakeBy(e.awaitingSince + passive.unanswered().toNanos());
            } else {
                drive();
            }
        });
    }

    // ---- the worker answers ----

    void fromWorker(Channel from, Object msg) {
        if (ex == null || from != ex.worker) {
            ReferenceCountUtil.release(msg);
            return;
        }
        ex.progressAt = ticker.nanoTime();
        if (state == State.UPGRADED) {
            if (msg instanceof LastHttpContent last && !last.content().isReadable()) {
                last.release(); // the codec's end of the 101 response, not a byte of the stream
            } else {
                forward(msg instanceof HttpContent c ? c.content() : msg, client, ex.worker);
            }
            return;
        }
        if (msg instanceof HttpObject o && o.decoderResult().isFailure()) {
            // A response the client could not be given as sent: 502 before its first byte, a cut after.
            ReferenceCountUtil.release(msg);
            failExchange();
        } else if (msg instanceof HttpResponse res) {
            responseHead(res);
        } else if (msg instanceof HttpContent c) {
            responseContent(c);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void responseHead(HttpResponse res) {
        Exchange e = ex;
        e.responseStarted = true;
        e.backend.answered();
        int code = res.status().code();
        if (e.upgrade && code == 101) {
            switchProtocols(res);
            return;
        }
        boolean informational = code >= 100 && code < 200;
        if (!informational) {
            e.finalResponse = true;
            e.workerKeepAlive = HttpUtil.isKeepAlive(res) && !e.backend.draining();
        }
        // Letting the clients go (an upgrade): this response is the connection's last, and says so.
        // A request pipelined behind this one is served first; its response says it instead.
        if (!informational && rotation.lastCall() && headsRead == e.seq) e.clientKeepAlive = false;
        HttpHeaderRules.toClient(res, !informational, e.isHead(), e.clientKeepAlive);
        Channel from = e.worker;
        client.write(res).addListener((ChannelFuture f) -> { // flushed at the end of the worker's read
            if (!f.isSuccess()) {
                closeAll();
            } else if (from.isActive()) {
                from.read();
            }
        });
    }

    private void responseContent(HttpContent c) {
        Exchange e = ex;
        boolean end = c instanceof LastHttpContent && e.finalResponse;
        if (end) e.responseEnded = true;
        Channel from = e.worker;
        // The end flushes at once (it may come from the codec as the worker's connection closes,
        // with no read to end); the rest at the end of the worker's read.
        (end ? client.writeAndFlush(c) : client.write(c)).addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) {
                closeAll();
                return;
            }
            if (end) {
                responseDone(e);
            } else if (e.worker == from) {
                from.read();
            }
        });
    }

    /**
     * The worker's read burst is over: what it brought goes to the client in one flush, so a
     * response whose head and body came together leaves in one write, as from any proxy.
     */
    void workerReadComplete(Channel from) {
        if (ex != null && from == ex.worker) client.flush();
    }

    private void responseDone(Exchange e) {
        if (ex != e) return;
        boolean reuse = e.requestSent && e.workerKeepAlive && e.worker.isActive();
        Backend b = e.backend;
        dropWorker(reuse);
        b.release();
        ex = null;
        if (!e.clientKeepAlive) {
            state = State.CLOSING;
            client.close();
        } else if (!e.requestSent) {
            // The worker answered before the body was all sent (a 413, say): drop the rest.
            state = State.DISCARDING;
            drive();
        } else {
            state = State.IDLE;
            drive();
        }
    }

    /**
     * The last call (an upgrade hands the clients to the next runner): a connection between
     * requests closes once it has stayed idle for {@link #LAST_CALL_IDLE}; one in an exchange
     * answers with {@code Connection: close} and closes after. Not at once: a client that got a
     * response a moment ago may have its next request on the way, and a close would lose it.
     */
    static final Duration LAST_CALL_IDLE = Duration.ofSeconds(1);

    private void closeIfIdle() {
        if (idleTimer != null) return;
        long since = ticker.nanoTime();
        idleTimer = client.eventLoop().schedule(() -> {
            idleTimer = null;
            if (state != State.IDLE || ex != null || !inbox.isEmpty() || !client.isActive()) return;
            if (lastBytesAt - since > 0) {
                closeIfIdle(); // part of a next request is in the codec: not idle, look again later
                return;
            }
            state = State.CLOSING;
            client.close();
        }, LAST_CALL_IDLE.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Bytes came from the client, whether or not the codec made a message of them yet. */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        lastBytesAt = ticker.nanoTime();
        ctx.fireChannelReadComplete();
    }

    /** Whether the connection became a raw stream (an upgrade, such as WebSocket): a last call has no say over it. */
    boolean upgraded() {
        return state == State.UPGRADED;
    }

    /** Gives the exchange's worker connection back to the pool, or closes it. The count is the caller's. */
    private void dropWorker(boolean reuse) {
        Channel ch = ex.worker;
        WorkerSide side = ch.pipeline().get(WorkerSide.class);
        ex.worker = null;
        side.owner = null;
        if (reuse) {
            pool.offer(side.backend, ch);
            ch.read(); // so that a close by the worker while idle is noticed
        } else {
            ch.close();
        }
    }

    /**
     * Its worker was found unhealthy: an exchange on {@code ch} that has no byte of answer yet is
     * given up on now rather than at response-timeout, with the 504 it would get then. It is not
     * sent to another worker, not even a GET: the request may be what hung this one, and would
     * take the next worker with it.
     */
    void abandon(Channel ch) {
        if (ex != null && ch == ex.worker && !ex.responseStarted && !ex.responseEnded && state != State.UPGRADED) {
            giveUp(false);
        }
    }

    /** The worker connection closed during the exchange. */
    void workerClosed(Channel ch) {
        if (ex == null || ch != ex.worker) return;
        if (state == State.UPGRADED) {
            ex.worker = null;
            client.close();
            return;
        }
        if (ex.responseEnded) {
            return; // a response that ends with the connection: its last content is on its way
        }
        Backend b = ex.detach();
        if (b != null) b.release();
        if (ex.mayReplay() && client.isActive()) {
            // Reached the worker, no answer: an idempotent request without a body may go again once.
            ex.replays++;
            ex.refused = RoutingTable.with(ex.refused, b);
            // Its end went to the first connection: a replayable request has no body, so the end is all it had.
            ex.requestSent = false;
            inbox.addFirst(LastHttpContent.EMPTY_LAST_CONTENT);
            state = State.ROUTING;
            route();
        } else if (!ex.responseStarted) {
            respondAndClose(HttpResponseStatus.BAD_GATEWAY, "the worker closed the connection\n", null);
        } else {
            closeAll();
        }
    }

    private void failExchange() {
        Channel ch = ex.worker;
        Backend b = ex.detach();
        if (ch != null) ch.close();
        if (b != null) b.release();
        if (!ex.responseStarted) {
            respondAndClose(HttpResponseStatus.BAD_GATEWAY, "the worker closed the connection\n", null);
        } else {
            closeAll();
        }
    }

    // ---- a worker that stalls ----

    /** The request's head reached the worker: from now on it must show progress. */
    private void watch() {
        ex.progressAt = ticker.nanoTime();
        ex.counted = false;
        wakeBy(ex.progressAt + http.responseTimeout().toNanos());
    }

    /** The watchdog runs by {@code deadline}: it stays if it is due sooner, else it is moved. */
    private void wakeBy(long deadline) {
        if (watchdog != null) {
            if (watchdogAt - deadline <= 0) return;
            watchdog.cancel(false);
        }
        watchdogAt = deadline;
        watchdog = client.eventLoop().schedule(this::checkProgress, deadline - ticker.nanoTime(), TimeUnit.NANOSECONDS);
    }

    private void checkProgress() {
        watchdog = null;
        Exchange e = ex;
        if (e == null || e.worker == null || e.responseEnded || state == State.UPGRADED || !client.isActive()) {
            return; // no exchange with a worker now; the next one arms it again
        }
        long now = ticker.nanoTime();
        if (state == State.SENDING && !e.bodyWritePending) {
            e.progressAt = now; // the body is the client's to send: its slowness is not the worker's
        }
        long next = e.progressAt + http.responseTimeout().toNanos();
        if (next - now <= 0) {
            giveUp(true);
            return;
        }
        if (passive.on() && state == State.AWAITING && !e.responseStarted && !e.counted) {
            long unanswered = e.awaitingSince + passive.unanswered().toNanos();
            if (unanswered - now <= 0) {
                e.counted = true; // once per request; it goes on waiting for its answer
                rotation.requestFailed(e.backend, "no response within " + seconds(passive.unanswered()));
            } else if (unanswered - next < 0) {
                next = unanswered;
            }
        }
        wakeBy(next);
    }

    /** The exchange waits no longer for its worker: 504 if nothing of the answer was sent, else a cut. */
    private void giveUp(boolean timedOut) {
        Exchange e = ex;
        Channel ch = e.worker;
        Backend b = e.detach(); // its close is not news to this exchange any more
        ch.close();
        b.release();
        if (timedOut) {
            rotation.responseTimedOut();
            if (!e.responseStarted && !e.counted) {
                rotation.requestFailed(b, "no response within " + seconds(http.responseTimeout()));
            }
        }
        if (e.responseStarted) {
            closeAll(); // the client has part of a response: only a close tells it the rest is not coming
        } else if (state == State.AWAITING && e.clientKeepAlive) {
            // The whole request was read: the connection goes on once the 504 is out (a FIN from
            // the client meanwhile clears clientKeepAlive, as it does in AWAITING).
            FullHttpResponse res = response(HttpResponseStatus.GATEWAY_TIMEOUT, "the worker did not answer in time\n");
            client.writeAndFlush(res).addListener((ChannelFuture f) -> {
                if (!f.isSuccess() || !e.clientKeepAlive) {
                    client.close();
                } else {
                    ex = null;
                    state = State.IDLE;
                    drive();
                }
            });
        } else {
            respondAndClose(HttpResponseStatus.GATEWAY_TIMEOUT, "the worker did not answer in time\n", null);
        }
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }

    // ---- upgrades (WebSocket and the like): a pinned byte stream, drained like TCP mode ----

    private void switchProtocols(HttpResponse res) {
        state = State.UPGRADED;
        Channel ch = ex.worker;
        Backend b = ex.backend;
        ex.backend = null;
        // The connection now counts toward its worker until it closes, as in TCP mode.
        ch.closeFuture().addListener(x -> b.release());
        client.writeAndFlush(res).addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) {
                closeAll();
                return;
            }
            // Both encoders go first: removing a decoder hands on the bytes it holds (what the client
            // sent behind its request, what the worker sent behind its 101), which must cross raw.
            HttpServerCodec clientCodec = client.pipeline().get(HttpServerCodec.class);
            HttpClientCodec workerCodec = ch.pipeline().get(HttpClientCodec.class);
            clientCodec.removeOutboundHandler();
            workerCodec.removeOutboundHandler();
            for (Object m; (m = inbox.poll()) != null; ) {
                if (m instanceof ByteBuf bytes) {
                    forward(bytes, ch, client);
                } else {
                    ReferenceCountUtil.release(m); // HTTP after an upgrade request: nothing to send it to
                }
            }
            client.pipeline().remove(clientCodec); // its held bytes reach channelRead, UPGRADED: to the worker
            ch.pipeline().remove(workerCodec); // its held bytes reach fromWorker, UPGRADED: to the client
            ch.read();
            client.read();
        });
    }

    // ---- the client's side ----

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (waiting != null) waiting.cancel();
        if (watchdog != null) watchdog.cancel(false);
        for (Object m; (m = inbox.poll()) != null; ) ReferenceCountUtil.release(m);
        if (ex != null && ex.worker != null) {
            Channel ch = ex.worker;
            Backend b = ex.detach();
            ch.close();
            if (b != null) b.release();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        closeAll();
    }

    /**
     * The client sent its FIN. Between requests, or in an upgraded stream, that ends the
     * connection. A request it already sent whole still gets its response, then the close; one
     * whose body was cut short cannot be completed.
     */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == Front.LastCall.INSTANCE) {
            if (state == State.IDLE && ex == null && inbox.isEmpty()) closeIfIdle();
            return;
        }
        if (evt instanceof ChannelInputShutdownEvent) {
            if (ex != null && state != State.UPGRADED && endRead(ex)) {
                ex.clientKeepAlive = false; // a whole request still gets its answer, then the close
            } else {
                abandonExchange();
                closeAll(); // between requests, or a request that can never be completed
            }
        }
        ctx.fireUserEventTriggered(evt);
    }

    private void forward(Object msg, Channel to, Channel from) {
        to.writeAndFlush(msg).addListener((ChannelFuture f) -> {
            if (f.isSuccess()) {
                if (from != null && from.isActive()) from.read();
            } else {
                closeAll();
            }
        });
    }

    private boolean isHealthCheck(HttpRequest r) {
        return http.healthPath()
                .map(p -> p.equals(pathOf(HttpRules.originForm(r.uri()))) && (r.method().equals(HttpMethod.GET)
                        || r.method().equals(HttpMethod.HEAD)))
                .orElse(false);
    }

    private void answerHealth(HttpRequest r) {
        boolean keepAlive = HttpUtil.isKeepAlive(r) && !rotation.lastCall();
        boolean ready = !rotation.table().isEmpty();
        FullHttpResponse res = response(ready ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                ready ? "ok\n" : "no worker is ready\n");
        if (!keepAlive) res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ReferenceCountUtil.release(r);
        state = State.DISCARDING; // the request's own end is still in the inbox
        client.writeAndFlush(res).addListener((ChannelFuture f) -> {
            if (!f.isSuccess() || !keepAlive) {
                client.close();
            } else {
                drive();
            }
        });
    }

    /** Answers from the runner itself and closes: the rest of what the client sent is not read. */
    private void respondAndClose(HttpResponseStatus status, String body, String retryAfter) {
        state = State.CLOSING;
        FullHttpResponse res = response(status, body);
        res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        if (retryAfter != null) res.headers().set(HttpHeaderNames.RETRY_AFTER, retryAfter);
        client.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
    }

    private static FullHttpResponse response(HttpResponseStatus status, String body) {
        ByteBuf content = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
        return res;
    }

    /** Lets go of the exchange's worker, mid-request: the connection closes, the count is given back. */
    private void abandonExchange() {
        if (ex == null || state == State.UPGRADED) return;
        Exchange e = ex;
        ex = null; // a connect still on its way gives its count back and closes (see connect)
        waiting.cancel();
        if (e.worker != null) {
            Channel ch = e.worker;
            Backend b = e.detach();
            ch.close();
            if (b != null) b.release();
        }
    }

    private void closeAll() {
        state = State.CLOSING;
        if (ex != null && ex.worker != null) ex.worker.close();
        client.close();
    }

    private static String authority(InetSocketAddress a) {
        String host = a.getAddress().getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    private static String pathOf(String uri) {
        int q = uri.indexOf('?');
        return q < 0 ? uri : uri.substring(0, q);
    }

    /**
     * The handler of a connection to a worker. The connection outlives exchanges (it is pooled),
     * so it reports to whichever relay uses it now, and to nobody while it is idle.
     */
    static final class WorkerSide extends ChannelInboundHandlerAdapter {
        final Backend backend;
        private final WorkerConnections pool;
        HttpRelay owner;

        WorkerSide(Backend backend, WorkerConnections pool) {
            this.backend = backend;
            this.pool = pool;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (owner == null) { // a worker that speaks between requests: not a connection to reuse
                ReferenceCountUtil.release(msg);
                ctx.close();
                return;
            }
            owner.fromWorker(ctx.channel(), msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (owner != null) owner.workerReadComplete(ctx.channel());
        }

        /** Its worker is unhealthy: an idle connection goes, one in use unless its answer has begun. */
        void abandon(Channel ch) {
            if (owner == null) {
                ch.close();
            } else {
                owner.abandon(ch);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (owner != null) {
                owner.workerClosed(ctx.channel());
            } else {
                pool.remove(backend, ctx.channel());
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
