package dev.actorrunner.front;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import java.util.List;
import java.util.Set;

/**
 * One request and its response in http mode, from the request's head to the response's end. A new
 * one for each request, so nothing of one exchange can leak into the next. Owned by its
 * {@link HttpRelay}, on the client channel's event loop.
 */
final class Exchange {
    private static final Set<HttpMethod> IDEMPOTENT = Set.of(HttpMethod.GET, HttpMethod.HEAD,
            HttpMethod.OPTIONS, HttpMethod.PUT, HttpMethod.DELETE, HttpMethod.TRACE);

    /** The request, rewritten in place for the worker once the exchange has looked at it. */
    final HttpRequest request;
    /** A protocol upgrade (WebSocket): the connection becomes a pinned byte stream on a 101. */
    final boolean upgrade;
    /** Idempotent and without a body: may be sent again once if a worker took it and died silent. */
    final boolean replayable;
    /** The client keeps its connection after this exchange (cleared by its FIN meanwhile). */
    boolean clientKeepAlive;

    /** Workers that refused this request's connect: not tried again for it until a new table. */
    List<Backend> refused = List.of();
    int replays;
    /** The worker it was routed to and the connection it is on; null while none. */
    Backend backend;
    Channel worker;

    /** The whole request reached the worker. */
    boolean requestSent;
    /** A body write is on its way to the worker. */
    boolean bodyWritePending;
    /** A byte of response came; a final (non-1xx) head came; the final response's end came. */
    boolean responseStarted;
    boolean finalResponse;
    boolean responseEnded;
    /** The worker's connection may serve another exchange. */
    boolean workerKeepAlive;

    /** When the exchange last moved: a write to the worker done, or a read from it. */
    long progressAt;
    /** When the request was all sent, and whether its wait already counted against the worker. */
    long awaitingSince;
    boolean counted;

    /** Which of the connection's requests it is (1, 2, ...): its messages are told from a pipelined next one's. */
    final long seq;

    /** Before the request's headers are rewritten for the worker: it reads its framing and its Connection. */
    Exchange(HttpRequest request, boolean upgrade, long seq) {
        this.request = request;
        this.seq = seq;
        this.upgrade = upgrade;
        this.clientKeepAlive = HttpUtil.isKeepAlive(request);
        this.replayable = IDEMPOTENT.contains(request.method()) && !HttpUtil.isTransferEncodingChunked(request)
                && HttpUtil.getContentLength(request, 0L) == 0L && !upgrade;
    }

    boolean isHead() {
        return HttpMethod.HEAD.equals(request.method());
    }

    /** Reached a worker that closed without a byte of answer: it may go to another, once. */
    boolean mayReplay() {
        return !responseStarted && replayable && replays == 0;
    }

    /** Lets go of the worker: the connection and the count are the caller's to close and give back. */
    Backend detach() {
        Backend b = backend;
        backend = null;
        worker = null;
        return b;
    }
}
