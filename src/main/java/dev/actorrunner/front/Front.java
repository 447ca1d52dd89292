package dev.actorrunner.front;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The public port. Bound once, before the first worker starts, and open for the runner's whole
 * life, so no client is refused during a reload or a crash. Each accepted connection is relayed to
 * the ready worker with the fewest open connections ({@link RoutingTable}); a connection accepted
 * while no worker is ready waits for one, up to queue-timeout. Per mode: tcp pins each connection
 * ({@link Relay}), http routes each request ({@link HttpRelay}), auto ({@link Sniffer}) chooses one
 * of the two by the connection's first bytes.
 *
 * <p>Threads: Netty's event loops only. The routing table is an immutable snapshot swapped by
 * {@link #publish}; per-worker counts are atomics; the Master hears only of events (a refused
 * connect, a drain finished), never of single connections.
 */
public final class Front implements Router {
    private static final Logger log = LoggerFactory.getLogger(Front.class);

    final FrontSettings settings;
    final Class<? extends Channel> clientChannel;
    private final EventLoopGroup group;
    private final List<Channel> listeners = new ArrayList<>();
    private final Map<Integer, Backend> backends = new ConcurrentHashMap<>();
    private final Queue<Parked> waiting = new ConcurrentLinkedQueue<>();
    private final WorkerConnections pool = new WorkerConnections();
    private volatile IntConsumer connectFailed = id -> {};
    private volatile BiConsumer<Integer, String> unresponsive = (id, why) -> {};
    private final Traffic traffic = new Traffic();
    private volatile RoutingTable table = RoutingTable.EMPTY;
    /** Slow start's window in nanoseconds (0: off); see {@link SlowStart}. */
    private volatile long slowStart;
    /** Auto mode: what a {@link Sniffer} installs once it has decided; one for all connections. */
    private final Sniffer.Pipelines pipelines = new Sniffer.Pipelines() {
        @Override
        public void perRequest(ChannelHandlerContext sniffer) {
            sniffer.pipeline().addAfter(sniffer.name(), "http-relay", new HttpRelay(Front.this, pool))
                    .addAfter(sniffer.name(), "http-codec", new HttpServerCodec(decoderConfig()));
        }

        @Override
        public void pinned(ChannelHandlerContext sniffer) {
            sniffer.pipeline().addAfter(sniffer.name(), "relay", new Relay(Front.this));
        }
    };
    private final long sniffNanos;

    private Front(FrontSettings settings) {
        this.settings = settings;
        this.sniffNanos = settings.http().sniffTimeout().toNanos();
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        this.clientChannel = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
        this.group = new MultiThreadIoEventLoopGroup(settings.ioThreads(),
                new DefaultThreadFactory("actor-runner-front", true), io);
    }

    /**
     * Binds the public address. Blocks until bound (call it before the runner starts, not on an
     * actor's thread).
     */
    public static Front bind(FrontSettings settings) throws FrontBindException {
        Front front = new Front(settings);
        try {
            front.listen();
            return front;
        } catch (FrontBindException e) {
            front.close();
            throw e;
        }
    }

    private void listen() throws FrontBindException {
        Class<? extends ServerChannel> serverChannel = Epoll.isAvailable()
                ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(serverChannel)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(traffic); // first: it counts the raw bytes
                        switch (settings.mode()) {
                            case HTTP -> ch.pipeline().addLast(new HttpServerCodec(decoderConfig()), new HttpRelay(Front.this, pool));
                            case TCP -> ch.pipeline().addLast(new Relay(Front.this));
                            case AUTO -> ch.pipeline().addLast(new Sniffer(pipelines, settings.http().maxInitialLine(), sniffNanos));
                        }
                    }
                });
        String where = settings.host() + ":" + settings.port();
        InetSocketAddress address;
        try {
            address = new InetSocketAddress(BindAddresses.resolve(settings.host()), settings.port());
        } catch (UnknownHostException e) {
            throw new FrontBindException("cannot listen on " + where + ": " + e.getMessage(), null);
        }
        try {
            Channel ch = b.bind(address).sync().channel();
            listeners.add(ch);
            log.info("listening on {} for clients", describe((InetSocketAddress) ch.localAddress()));
        } catch (Exception e) {
            throw new FrontBindException("cannot listen on " + where + ": " + cause(e), e);
        }
    }

    /**
     * Strict parsing: RFC 9112 framing (a request with both Content-Length and Transfer-Encoding,
     * or a Transfer-Encoding that does not end in chunked, is refused, never guessed at), strict
     * line endings, validated header names and values, and the configured size limits.
     */
    private HttpDecoderConfig decoderConfig() {
        return new HttpDecoderConfig()
                .setMaxInitialLineLength(settings.http().maxInitialLine())
                .setMaxHeaderSize(settings.http().maxHeaderSize())
                .setMaxChunkSize(64 * 1024)
                .setUseRfc9112TransferEncoding(true)
                .setStrictLineParsing(true)
                .setValidateHeaders(true)
                .setAllowDuplicateContentLengths(false);
    }

    /** Counters of connections and bytes since the front was bound (for metrics). */
    public Traffic traffic() {
        return traffic;
    }

    /**
     * Connections (tcp mode), requests (http mode), or both (auto mode: pinned connections and
     * HTTP/1.x requests) routed to the worker so far; 0 for one the front does not know.
     */
    public long routedTo(int workerId) {
        Backend b = backends.get(workerId);
        return b == null ? 0 : b.routed();
    }

    /** The bound addresses (with the real port when 0 was asked for). */
    public List<InetSocketAddress> addresses() {
        return listeners.stream().map(c -> (InetSocketAddress) c.localAddress()).toList();
    }

    /**
     * Publishes from the Master's thread only (one publisher, so the look at who is warm and the
     * admission of a new worker cannot interleave with another publish).
     */
    @Override
    public void publish(List<Route> routes) {
        long now = System.nanoTime();
        long window = slowStart;
        RoutingTable before = table;
        List<Backend> list = new ArrayList<>(routes.size());
        for (Route r : routes) {
            list.add(backends.computeIfAbsent(r.workerId(),
                    id -> new Backend(id, r.port(), now, SlowStart.ramps(before.backends(), now, window))));
        }
        RoutingTable next = new RoutingTable(list, window, System::nanoTime, () -> ThreadLocalRandom.current().nextDouble());
        table = next;
        if (!next.isEmpty()) wakeWaiting();
    }

    @Override
    public void slowStart(Duration window) {
        slowStart = window.toNanos();
    }

    @Override
    public int sharePercent(int workerId) {
        Backend b = backends.get(workerId);
        return b == null ? 100 : table.sharePercent(b);
    }

    @Override
    public CompletionStage<Integer> drain(int workerId) {
        Backend b = backends.get(workerId);
        if (b == null) return CompletableFuture.completedFuture(0);
        CompletableFuture<Integer> drained = b.drain();
        // http and auto modes: kept-alive connections to it that carry no request are closed at once.
        if (settings.mode().routesRequests()) group.forEach(loop -> loop.execute(() -> pool.closeAll(b)));
        return drained;
    }

    @Override
    public void forget(int workerId) {
        backends.remove(workerId);
    }

    @Override
    public void stopAccepting() {
        listeners.forEach(Channel::close);
    }

    @Override
    public void close() {
        stopAccepting();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    }

    @Override
    public void onConnectFailed(IntConsumer listener) {
        connectFailed = listener;
    }

    @Override
    public int openConnections(int workerId) {
        Backend b = backends.get(workerId);
        return b == null ? 0 : b.open();
    }

    /** Connections waiting for a ready worker (for tests). */
    int waitingConnections() {
        return waiting.size();
    }

    RoutingTable table() {
        return table;
    }

    /** A connection (tcp) or request (http) waiting for a table with a worker in it. */
    interface Parked {
        RoutingTable parkedOn();

        void wake();
    }

    void park(Parked relay) {
        waiting.add(relay);
        traffic.parked();
        // A table may have been published between the relay's look and this add: look again.
        RoutingTable now = table;
        if (now != relay.parkedOn() && !now.isEmpty()) wakeWaiting();
    }

    private void wakeWaiting() {
        Parked r;
        while ((r = waiting.poll()) != null) r.wake();
    }

    void connectFailed(Backend b) {
        traffic.connectFailed();
        connectFailed.accept(b.workerId);
        requestFailed(b, "connection refused");
    }

    /**
     * Passive health: a request that got no response byte in time, or a connect that failed,
     * counts against its worker; at {@link FrontSettings.Passive#failures} in a row (a response in
     * between starts over) the runner hears of it, once per run, and checks the worker.
     */
    void requestFailed(Backend b, String what) {
        int limit = settings.passive().failures();
        if (limit > 0 && b.failed() == limit) {
            unresponsive.accept(b.workerId, limit + " request(s) in a row failed, last: " + what);
        }
    }

    /**
     * http and auto modes: the requests waiting on an unhealthy worker are not left to response-timeout:
     * those with no byte of answer yet get 504 now, and go to no other worker (see
     * {@link HttpRelay#abandon}); its idle connections close. Each on its own event loop.
     */
    @Override
    public void abandon(int workerId) {
        Backend b = backends.get(workerId);
        if (b == null) return;
        for (Channel ch : b.connections) {
            ch.eventLoop().execute(() -> {
                HttpRelay.WorkerSide side = ch.pipeline().get(HttpRelay.WorkerSide.class);
                if (side != null) side.abandon(ch);
            });
        }
    }

    /** An exchange stalled past response-timeout: answered 504, or cut. */
    void responseTimedOut() {
        traffic.responseTimedOut();
    }

    @Override
    public void onUnresponsive(BiConsumer<Integer, String> listener) {
        unresponsive = listener;
    }

    private static String describe(InetSocketAddress a) {
        String host = a.getAddress().getHostAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    private static String cause(Throwable e) {
        String m = e.getMessage();
        if (m != null && m.contains("Address already in use")) return "address already in use";
        if (m != null && m.contains("Permission denied")) return "permission denied (ports below 1024 need privileges)";
        if (m != null && m.contains("Cannot assign requested address")) {
            return "cannot assign requested address (not an address of this machine)";
        }
        return m != null ? m : e.toString();
    }
}
