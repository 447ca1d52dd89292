package dev.actorrunner.front;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
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
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One client connection in http mode. Requests are taken one at a time (pipelined ones wait in
 * {@link #inbox}); each goes to the ready worker with the fewest outstanding requests, over an
 * idle kept-alive connection to it or a new one, and its response comes back before the next
 * request is taken. Bodies stream both ways with the same read-after-write backpressure as the
 * TCP relay. A draining worker therefore only has to finish the requests it has: the client's
 * connection belongs to the runner, not to any worker.
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
 * checks' time counts against its worker (see {@link Front#requestFailed}), and goes on waiting.
 *
 * <p>Everything here runs on the client channel's event loop, which also owns the worker
 * connections it uses.
 */
final class HttpRelay extends ChannelInboundHandlerAdapter {
    private static final Set<HttpMethod> IDEMPOTENT = Set.of(HttpMethod.GET, HttpMethod.HEAD,
            HttpMethod.OPTIONS, HttpMethod.PUT, HttpMethod.DELETE, HttpMethod.TRACE);
    /** Headers about one hop, never passed on (RFC 9110 7.6.1). */
    private static final List<CharSequence> HOP_BY_HOP = List.of(HttpHeaderNames.CONNECTION,
            HttpHeaderNames.KEEP_ALIVE, HttpHeaderNames.PROXY_CONNECTION, HttpHeaderNames.TE,
            HttpHeaderNames.UPGRADE, "Proxy-Authenticate", "Proxy-Authorization");

    private enum State { IDLE, ROUTING, SENDING, AWAITING, DISCARDING, UPGRADED, CLOSING }

    private final Front front;
    private final WorkerConnections pool;
    private final ArrayDeque<Object> inbox = new ArrayDeque<>();
    private Channel client;
    private State state = State.IDLE;

    // The exchange in progress.
    private HttpRequest request;
    private boolean replayable;
    private boolean upgrade;
    private boolean clientKeepAlive;
    private boolean requestSent;
    private boolean responseStarted;
    private boolean finalResponse;
    private boolean responseEnded;
    private boolean workerKeepAlive;
    private int replays;
    private Backend backend;
    private Channel worker;
    private List<Backend> refused = List.of();
    private Waiting waiting;
    /** When the exchange last moved: a write to the worker done, or a read from it. */
    private long progressAt;
    private boolean bodyWritePending;
    /** When the request was all sent, and whether its wait already counted against the worker. */
    private long awaitingSince;
    private boolean counted;
    /** One per connection, not per request: re-armed while an exchange runs; due at watchdogAt. */
    private ScheduledFuture<?> watchdog;
    private long watchdogAt;

    HttpRelay(Front front, WorkerConnections pool) {
        this.front = front;
        this.pool = pool;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        client = ctx.channel();
        waiting = new Waiting(front, client, () -> {
            refused = List.of();
            route();
        }, () -> respondAndClose(HttpResponseStatus.SERVICE_UNAVAILABLE, "no worker is ready\n", "1"));
        client.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (state == State.UPGRADED) {
            forward(msg, worker, client);
            return;
        }
        inbox.add(msg);
        drive();
    }

    /** Takes what the inbox holds as far as the state allows; reads the client when it is empty. */
    private void drive() {
        while (true) {
            switch (state) {
                case IDLE -> {
                    Object m = inbox.poll();
                    if (m == null) {
                        client.read();
                        return;
                    }
                    if (m instanceof HttpRequest r) {
                        begin(r);
                    } else {
                        ReferenceCountUtil.release(m); // the rest of a request already answered
                    }
                }
                case DISCARDING -> {
                    Object m = inbox.poll();
                    if (m == null) {
                        client.read();
                        return;
                    }
                    if (m instanceof LastHttpContent) state = State.IDLE;
                    ReferenceCountUtil.release(m);
                }
                case SENDING -> {
                    Object m = inbox.poll();
                    if (m == null) {
                        client.read();
                        return;
                    }
                    sendBody((HttpContent) m);
                    return; // goes on when the write completes
                }
                default -> {
                    return; // ROUTING, AWAITING, UPGRADED, CLOSING: an event will move on
                }
            }
        }
    }

    // ---- a request arrives ----

    private void begin(HttpRequest r) {
        if (r.decoderResult().isFailure()) {
            rejectBadRequest(r.decoderResult().cause());
            return;
        }
        clientKeepAlive = HttpUtil.isKeepAlive(r);
        if (isHealthCheck(r)) {
            answerHealth(r);
            return;
        }
        upgrade = r.headers().contains(HttpHeaderNames.UPGRADE)
                && r.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true);
        replayable = IDEMPOTENT.contains(r.method()) && !HttpUtil.isTransferEncodingChunked(r)
                && HttpUtil.getContentLength(r, 0L) == 0L && !upgrade;
        request = forWorker(r);
        requestSent = false;
        responseStarted = false;
        finalResponse = false;
        responseEnded = false;
        replays = 0;
        refused = List.of();
        state = State.ROUTING;
        route();
    }

    /** The request as the worker gets it: HTTP/1.1, kept alive, hop-by-hop headers gone, X-Forwarded-*. */
    private HttpRequest forWorker(HttpRequest r) {
        HttpHeaders h = r.headers();
        String upgradeTo = h.get(HttpHeaderNames.UPGRADE);
        for (String listed : h.getAll(HttpHeaderNames.CONNECTION)) {
            for (String name : listed.split(",")) {
                if (!name.isBlank()) h.remove(name.strip());
            }
        }
        HOP_BY_HOP.forEach(h::remove);
        if (upgrade) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
            h.set(HttpHeaderNames.UPGRADE, upgradeTo);
        }
        if (front.settings.http().forwardedHeaders()) addForwarded(h);
        r.setProtocolVersion(HttpVersion.HTTP_1_1);
        return r;
    }

    private void addForwarded(HttpHeaders h) {
        String ip = ((InetSocketAddress) client.remoteAddress()).getAddress().getHostAddress();
        String host = h.get(HttpHeaderNames.HOST);
        if (front.settings.http().trustForwarded()) {
            String chain = h.get("X-Forwarded-For");
            h.set("X-Forwarded-For", chain == null || chain.isBlank() ? ip : chain + ", " + ip);
            if (!h.contains("X-Forwarded-Proto")) h.set("X-Forwarded-Proto", "http");
            if (!h.contains("X-Forwarded-Host") && host != null) h.set("X-Forwarded-Host", host);
        } else {
            h.set("X-Forwarded-For", ip);
            h.set("X-Forwarded-Proto", "http");
            if (host != null) {
                h.set("X-Forwarded-Host", host);
            } else {
                h.remove("X-Forwarded-Host");
            }
        }
    }

    // ---- choosing a worker ----

    private void route() {
        RoutingTable table = front.table();
        Backend b = table.acquire(refused);
        if (b == null) {
            waiting.park(table);
            return;
        }
        backend = b;
        Channel idle = upgrade ? null : pool.poll(b, !replayable);
        if (idle != null) {
            attach(idle, true);
        } else {
            connect(b);
        }
    }

    private void connect(Backend b) {
        new Bootstrap()
                .group(client.eventLoop())
                .channel(front.clientChannel)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) front.settings.connectTimeout().toMillis())
                .handler(new io.netty.channel.ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new HttpClientCodec(), new WorkerSide(b, pool));
                    }
                })
                .connect("127.0.0.1", b.port)
                .addListener((ChannelFuture f) -> {
                    if (f.isSuccess()) {
                        Channel ch = f.channel();
                        b.connections.add(ch);
                        ch.closeFuture().addListener(x -> b.connections.remove(ch));
                        attach(ch, false);
                    } else {
                        front.connectFailed(b);
                        retryElsewhere(b);
                    }
                });
    }

    /** Nothing reached {@code b}: give its count back and try another worker, whatever the method. */
    private void retryElsewhere(Backend b) {
        b.release();
        backend = null;
        refused = RoutingTable.with(refused, b);
        if (client.isActive()) {
            route();
        }
    }

    private void attach(Channel ch, boolean pooled) {
        worker = ch;
        ch.pipeline().get(WorkerSide.class).owner = this;
        Channel sentOn = ch;
        ch.writeAndFlush(request).addListener((ChannelFuture f) -> {
            if (worker != sentOn) return;
            if (!f.isSuccess()) {
                // The request never reached the worker. A kept-alive connection it had closed says
                // nothing about the worker: try again, on another connection. A new one does.
                dropWorker(false);
                if (pooled) {
                    backend.release();
                    backend = null;
                    if (client.isActive()) route();
                } else {
                    retryElsewhere(backend);
                }
                return;
            }
            sentOn.read();
            state = State.SENDING;
            watch();
            drive();
        });
    }

    private void sendBody(HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        Channel sentOn = worker;
        bodyWritePending = true;
        sentOn.writeAndFlush(content).addListener((ChannelFuture f) -> {
            bodyWritePending = false;
            if (worker != sentOn || state != State.SENDING) return;
            progressAt = System.nanoTime();
            if (!f.isSuccess()) {
                failExchange();
                return;
            }
            if (last) {
                requestSent = true;
                state = State.AWAITING;
                awaitingSince = progressAt;
                if (front.settings.passive().on()) wakeBy(awaitingSince + unansweredNanos());
            } else {
                drive();
            }
        });
    }

    // ---- the worker answers ----

    void fromWorker(Channel from, Object msg) {
        if (from != worker) {
            ReferenceCountUtil.release(msg);
            return;
        }
        progressAt = System.nanoTime();
        if (state == State.UPGRADED) {
            if (msg instanceof LastHttpContent last && !last.content().isReadable()) {
                last.release(); // the codec's end of the 101 response, not a byte of the stream
            } else {
                forward(msg instanceof HttpContent c ? c.content() : msg, client, worker);
            }
            return;
        }
        if (msg instanceof HttpResponse res) {
            responseHead(res);
        } else if (msg instanceof HttpContent c) {
            responseContent(c);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void responseHead(HttpResponse res) {
        responseStarted = true;
        backend.answered();
        int code = res.status().code();
        if (upgrade && code == 101) {
            switchProtocols(res);
            return;
        }
        boolean informational = code >= 100 && code < 200;
        if (!informational) {
            finalResponse = true;
            workerKeepAlive = HttpUtil.isKeepAlive(res) && !backend.draining();
        }
        HttpHeaders h = res.headers();
        for (String listed : h.getAll(HttpHeaderNames.CONNECTION)) {
            for (String name : listed.split(",")) {
                if (!name.isBlank()) h.remove(name.strip());
            }
        }
        HOP_BY_HOP.forEach(h::remove);
        if (!informational) {
            boolean framed = HttpUtil.isTransferEncodingChunked(res) || HttpUtil.isContentLengthSet(res)
                    || code == 204 || code == 304 || HttpMethod.HEAD.equals(request.method());
            if (!framed) {
                // Ends when the worker closes: chunk it for the client, whose connection stays.
                HttpUtil.setTransferEncodingChunked(res, true);
            }
            if (!clientKeepAlive) h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        res.setProtocolVersion(HttpVersion.HTTP_1_1);
        forward(res, client, worker);
    }

    private void responseContent(HttpContent c) {
        boolean end = c instanceof LastHttpContent && finalResponse;
        if (end) responseEnded = true;
        Channel from = worker;
        client.writeAndFlush(c).addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) {
                closeAll();
                return;
            }
            if (end) {
                responseDone();
            } else if (worker == from) {
                from.read();
            }
        });
    }

    private void responseDone() {
        boolean reuse = requestSent && workerKeepAlive && worker.isActive();
        dropWorker(reuse);
        backend.release();
        backend = null;
        if (!clientKeepAlive) {
            state = State.CLOSING;
            client.close();
        } else if (!requestSent) {
            // The worker answered before the body was all sent (a 413, say): drop the rest.
            state = State.DISCARDING;
            drive();
        } else {
            state = State.IDLE;
            drive();
        }
    }

    /** Gives the worker connection back to the pool, or closes it. The count is the caller's. */
    private void dropWorker(boolean reuse) {
        Channel ch = worker;
        WorkerSide side = ch.pipeline().get(WorkerSide.class);
        worker = null;
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
        if (ch == worker && !responseStarted && !responseEnded && state != State.UPGRADED) giveUp(false);
    }

    /** The worker connection closed during the exchange. */
    void workerClosed(Channel ch) {
        if (ch != worker) return;
        if (state == State.UPGRADED) {
            worker = null;
            client.close();
            return;
        }
        if (responseEnded) {
            return; // a response that ends with the connection: its last content is on its way
        }
        Backend b = backend;
        worker = null;
        backend = null;
        if (b != null) b.release();
        if (!responseStarted && replayable && replays == 0 && client.isActive()) {
            // Reached the worker, no answer: an idempotent request without a body may go again once.
            replays++;
            refused = RoutingTable.with(refused, b);
            state = State.ROUTING;
            route();
        } else if (!responseStarted) {
            respondAndClose(HttpResponseStatus.BAD_GATEWAY, "the worker closed the connection\n", null);
        } else {
            closeAll();
        }
    }

    private void failExchange() {
        Backend b = backend;
        Channel ch = worker;
        worker = null;
        backend = null;
        if (ch != null) ch.close();
        if (b != null) b.release();
        if (!responseStarted) {
            respondAndClose(HttpResponseStatus.BAD_GATEWAY, "the worker closed the connection\n", null);
        } else {
            closeAll();
        }
    }

    // ---- a worker that stalls ----

    /** The request's head reached the worker: from now on it must show progress. */
    private void watch() {
        progressAt = System.nanoTime();
        counted = false;
        wakeBy(progressAt + timeoutNanos());
    }

    /** The watchdog runs by {@code deadline}: it stays if it is due sooner, else it is moved. */
    private void wakeBy(long deadline) {
        if (watchdog != null) {
            if (watchdogAt - deadline <= 0) return;
            watchdog.cancel(false);
        }
        watchdogAt = deadline;
        watchdog = client.eventLoop().schedule(this::checkProgress, deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
    }

    private void checkProgress() {
        watchdog = null;
        if (worker == null || responseEnded || state == State.UPGRADED || !client.isActive()) {
            return; // no exchange with a worker now; the next one arms it again
        }
        long now = System.nanoTime();
        if (state == State.SENDING && !bodyWritePending) {
            progressAt = now; // the body is the client's to send: its slowness is not the worker's
        }
        long next = progressAt + timeoutNanos();
        if (next - now <= 0) {
            timedOut();
            return;
        }
        if (front.settings.passive().on() && state == State.AWAITING && !responseStarted && !counted) {
            long unanswered = awaitingSince + unansweredNanos();
            if (unanswered - now <= 0) {
                counted = true; // once per request; it goes on waiting for its answer
                front.requestFailed(backend, "no response within " + seconds(front.settings.passive().unanswered()));
            } else if (unanswered - next < 0) {
                next = unanswered;
            }
        }
        wakeBy(next);
    }

    private void timedOut() {
        giveUp(true);
    }

    /** The exchange waits no longer for its worker: 504 if nothing of the answer was sent, else a cut. */
    private void giveUp(boolean timedOut) {
        Backend b = backend;
        Channel ch = worker;
        worker = null; // its close is not news to this exchange any more
        backend = null;
        ch.close();
        b.release();
        if (timedOut) {
            front.responseTimedOut();
            if (!responseStarted && !counted) {
                front.requestFailed(b, "no response within " + seconds(front.settings.http().responseTimeout()));
            }
        }
        if (responseStarted) {
            closeAll(); // the client has part of a response: only a close tells it the rest is not coming
        } else if (state == State.AWAITING && clientKeepAlive) {
            // The whole request was read: the connection goes on once the 504 is out (a FIN from
            // the client meanwhile clears clientKeepAlive, as it does in AWAITING).
            FullHttpResponse res = response(HttpResponseStatus.GATEWAY_TIMEOUT, "the worker did not answer in time\n");
            client.writeAndFlush(res).addListener((ChannelFuture f) -> {
                if (!f.isSuccess() || !clientKeepAlive) {
                    client.close();
                } else {
                    state = State.IDLE;
                    drive();
                }
            });
        } else {
            respondAndClose(HttpResponseStatus.GATEWAY_TIMEOUT, "the worker did not answer in time\n", null);
        }
    }

    private long timeoutNanos() {
        return front.settings.http().responseTimeout().toNanos();
    }

    private long unansweredNanos() {
        return front.settings.passive().unanswered().toNanos();
    }

    private static String seconds(java.time.Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }

    // ---- upgrades (WebSocket and the like): a pinned byte stream, drained like TCP mode ----

    private void switchProtocols(HttpResponse res) {
        state = State.UPGRADED;
        Channel ch = worker;
        Backend b = backend;
        backend = null;
        // The connection now counts toward its worker until it closes, as in TCP mode.
        ch.closeFuture().addListener(x -> b.release());
        client.writeAndFlush(res).addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) {
                closeAll();
                return;
            }
            client.pipeline().remove(HttpServerCodec.class);
            ch.pipeline().remove(HttpClientCodec.class);
            // Bytes the client sent after its request, held by the decoder, reach channelRead now.
            for (Object m; (m = inbox.poll()) != null; ) forward(m, ch, client);
            ch.read();
            client.read();
        });
    }

    // ---- helpers ----

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (waiting != null) waiting.cancel();
        if (watchdog != null) watchdog.cancel(false);
        for (Object m; (m = inbox.poll()) != null; ) ReferenceCountUtil.release(m);
        if (worker != null) {
            Channel ch = worker;
            Backend b = backend;
            worker = null;
            backend = null;
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
        if (evt instanceof ChannelInputShutdownEvent) {
            switch (state) {
                case AWAITING, ROUTING -> clientKeepAlive = false;
                default -> closeAll();
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
        return front.settings.http().healthPath()
                .map(p -> p.equals(pathOf(r.uri())) && (r.method().equals(HttpMethod.GET)
                        || r.method().equals(HttpMethod.HEAD)))
                .orElse(false);
    }

    private void answerHealth(HttpRequest r) {
        boolean ready = !front.table().isEmpty();
        FullHttpResponse res = response(ready ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                ready ? "ok\n" : "no worker is ready\n");
        if (!clientKeepAlive) res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        state = State.DISCARDING; // the request's own end is still in the inbox
        client.writeAndFlush(res).addListener((ChannelFuture f) -> {
            if (!f.isSuccess() || !clientKeepAlive) {
                client.close();
            } else {
                drive();
            }
        });
    }

    private void rejectBadRequest(Throwable cause) {
        HttpResponseStatus status = cause instanceof TooLongHttpLineException ? HttpResponseStatus.REQUEST_URI_TOO_LONG
                : cause instanceof TooLongHttpHeaderException ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
                : cause instanceof TooLongFrameException ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
                : HttpResponseStatus.BAD_REQUEST;
        respondAndClose(status, status.reasonPhrase() + "\n", null);
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

    private void closeAll() {
        state = State.CLOSING;
        if (worker != null) worker.close();
        client.close();
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
