package dev.actorrunner.front;

import dev.actorrunner.config.RunnerSettings;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The public port. Bound once, before the first worker starts, and open for the runner's whole
 * life, so no client is refused during a reload or a crash. It binds, builds each accepted
 * connection's pipeline and closes; the routing state lives in its {@link Rotation}. Per mode: tcp
 * pins each connection ({@link TcpRelay}), http routes each request ({@link HttpRelay}), auto
 * ({@link Sniffer}) chooses one of the two by the connection's first bytes. Each relay gets what
 * it needs through its constructor: the rotation, the {@link WorkerDialer}, the idle worker
 * connections of http mode.
 *
 * <p>It is the Master's {@link Router}: the routing half is the rotation's, the port's lifecycle
 * (stop accepting, close) its own. Threads: Netty's event loops only.
 */
public final class Front implements Router {
    private static final Logger log = LoggerFactory.getLogger(Front.class);

    private final FrontSettings settings;
    private final EventLoopGroup group;
    private final Class<? extends ServerChannel> serverChannel;
    private final String transportName;
    private final List<Channel> listeners = new ArrayList<>();
    private final Traffic traffic = new Traffic();
    private final WorkerConnections pool = new WorkerConnections();
    private final Rotation rotation;
    private final WorkerDialer dialer;
    private final HttpRelay.Dialer httpDialer;
    /** Auto mode: what a {@link Sniffer} installs once it has decided; one for all connections. */
    private final Sniffer.Pipelines pipelines = new Sniffer.Pipelines() {
        @Override
        public void perRequest(ChannelHandlerContext sniffer) {
            sniffer.pipeline().addAfter(sniffer.name(), "http-relay", new HttpRelay(rotation, pool, httpDialer))
                    .addAfter(sniffer.name(), "http-codec", new HttpServerCodec(decoderConfig()))
                    .addAfter(sniffer.name(), "traffic", traffic.counter());
        }

        @Override
        public void pinned(ChannelHandlerContext sniffer) {
            sniffer.pipeline().addAfter(sniffer.name(), "relay", new TcpRelay(rotation, dialer));
        }
    };
    private final long sniffNanos;
    /** Every client connection open now (a Netty group: a closed channel leaves it by itself). */
    private final ChannelGroup clients = new DefaultChannelGroup("actor-runner-clients", GlobalEventExecutor.INSTANCE);
    /** Adopted listeners registered with reads off until {@link #startAccepting} (an upgrade's next runner). */
    private boolean paused;

    /** The user event of {@link #lastCall}: each HTTP relay lets its client go. */
    enum LastCall { INSTANCE }

    private Front(FrontSettings settings) {
        this.settings = settings;
        this.sniffNanos = settings.http().sniffTimeout().toNanos();
        Transport transport = Transport.choose(settings.transport());
        if (transport.note() != null) log.warn("transport: {}", transport.note());
        this.serverChannel = transport.serverChannel();
        this.transportName = transport.name();
        this.group = new MultiThreadIoEventLoopGroup(settings.ioThreads(),
                new DefaultThreadFactory("actor-runner-front", true), transport.io());
        this.rotation = new Rotation(settings, traffic,
                b -> group.forEach(loop -> loop.execute(() -> pool.closeAll(b))));
        this.dialer = new WorkerDialer(transport.socketChannel(), settings.connectTimeout());
        this.httpDialer = dialer::exchanges;
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

    /**
     * Serves on listening sockets this process already holds, instead of binding: systemd's socket
     * activation (fd 3 and on, see {@link SocketActivation}), or a host's own handover. The fds stay
     * open for the runner's life; closing the front closes only this process's descriptors (never
     * shutdown(2): the socket may be shared). Needs the epoll transport, the one that adopts an fd.
     */
    public static Front adopt(FrontSettings settings, List<Integer> fds) throws FrontBindException {
        return adopt(settings, fds, true);
    }

    /**
     * As {@link #adopt(FrontSettings, List)}; with {@code accepting} false nothing is accepted
     * until {@link #startAccepting}: an upgrade's next runner holds the sockets from the start
     * and takes connections only once its workers are ready, while the runner before it still
     * accepts from the same queue.
     */
    public static Front adopt(FrontSettings settings, List<Integer> fds, boolean accepting) throws FrontBindException {
        if (!io.netty.channel.epoll.Epoll.isAvailable()) {
            throw new FrontBindException("cannot adopt inherited sockets: the epoll transport is not available here", null);
        }
        if (settings.transport() != RunnerSettings.Transport.AUTO && settings.transport() != RunnerSettings.Transport.EPOLL) {
            log.warn("transport: adopting an inherited socket needs epoll: {} is not used",
                    settings.transport().name().toLowerCase(java.util.Locale.ROOT));
        }
        Front front = new Front(new FrontSettings(settings.host(), settings.port(), settings.ioThreads(),
                settings.queueTimeout(), settings.connectTimeout(), settings.mode(), settings.http(), settings.passive(),
                RunnerSettings.Transport.EPOLL));
        front.paused = !accepting;
        try {
            for (int fd : fds) front.adopt(fd);
            return front;
        } catch (FrontBindException e) {
            front.close();
            throw e;
        }
    }

    private void adopt(int fd) throws FrontBindException {
        SocketActivation.nonBlocking(fd);
        ServerBootstrap b = serverBootstrap().channelFactory(() -> new io.netty.channel.epoll.EpollServerSocketChannel(fd))
                .option(ChannelOption.AUTO_READ, !paused);
        try {
            Channel ch = b.register().sync().channel();
            listeners.add(ch);
            if (!(ch.localAddress() instanceof InetSocketAddress a) || !ch.isActive()) {
                throw new FrontBindException("fd " + fd + " is not a listening TCP socket", null);
            }
            log.info("listening on {} for clients ({}, fd {} inherited)", describe(a), transportName, fd);
        } catch (FrontBindException e) {
            throw e;
        } catch (Exception e) {
            throw new FrontBindException("cannot serve on inherited fd " + fd + ": " + cause(e), e);
        }
    }

    private void listen() throws FrontBindException {
        ServerBootstrap b = serverBootstrap().channel(serverChannel);
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
            log.info("listening on {} for clients ({})", describe((InetSocketAddress) ch.localAddress()), transportName);
        } catch (Exception e) {
            throw new FrontBindException("cannot listen on " + where + ": " + cause(e), e);
        }
    }

    /** Everything but the server channel (a bind's class, or an adopted fd's factory). */
    private ServerBootstrap serverBootstrap() {
        return new ServerBootstrap()
                .group(group)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        traffic.connectionAccepted();
                        clients.add(ch);
                        switch (settings.mode()) {
                            case HTTP -> ch.pipeline().addLast(traffic.counter(), new HttpServerCodec(decoderConfig()),
                                    new HttpRelay(rotation, pool, httpDialer));
                            case TCP -> ch.pipeline().addLast(new TcpRelay(rotation, dialer));
                            case AUTO -> ch.pipeline().addLast(new Sniffer(pipelines, settings.http().maxInitialLine(), sniffNanos));
                        }
                    }
                });
    }

    /**
     * Strict parsing: RFC 9112 framing (a request with both Content-Length and Transfer-Encoding,
     * or a Transfer-Encoding that does not end in chunked, is refused, never guessed at), strict
     * line endings, validated header names and values, and the configured size limits.
     */
    private HttpDecoderConfig decoderConfig() {
        return decoderConfig(settings.http());
    }

    static HttpDecoderConfig decoderConfig(RunnerSettings.Http http) {
        return new HttpDecoderConfig()
                .setMaxInitialLineLength(http.maxInitialLine())
                .setMaxHeaderSize(http.maxHeaderSize())
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
        return rotation.routedTo(workerId);
    }

    /** The bound addresses (with the real port when 0 was asked for). */
    public List<InetSocketAddress> addresses() {
        return listeners.stream().map(c -> (InetSocketAddress) c.localAddress()).toList();
    }

    @Override
    public void publish(List<Route> routes) {
        rotation.publish(routes);
    }

    @Override
    public void slowStart(Duration window) {
        rotation.slowStart(window);
    }

    @Override
    public int sharePercent(int workerId) {
        return rotation.sharePercent(workerId);
    }

    @Override
    public CompletionStage<Integer> drain(int workerId) {
        return rotation.drain(workerId);
    }

    @Override
    public void forget(int workerId) {
        rotation.forget(workerId);
    }

    @Override
    public int openConnections(int workerId) {
        return rotation.openConnections(workerId);
    }

    @Override
    public void onConnectFailed(IntConsumer listener) {
        rotation.onConnectFailed(listener);
    }

    @Override
    public void onUnresponsive(BiConsumer<Integer, String> listener) {
        rotation.onUnresponsive(listener);
    }

    @Override
    public void abandon(int workerId) {
        rotation.abandon(workerId);
    }

    /** Connections waiting for a ready worker (for tests). */
    int waitingConnections() {
        return rotation.waitingConnections();
    }

    /**
     * The listening sockets as file descriptors, to hand to the next runner (SCM_RIGHTS); empty
     * when the transport has none to give (only epoll's listeners are handed over).
     */
    public List<io.netty.channel.unix.FileDescriptor> listeningSockets() {
        if (!listeners.stream().allMatch(c -> c instanceof io.netty.channel.epoll.EpollServerSocketChannel)) return List.of();
        return listeners.stream().map(c -> ((io.netty.channel.epoll.EpollServerSocketChannel) c).fd()).toList();
    }

    /** Starts accepting on adopted listeners registered paused; nothing if they accept already. */
    public void startAccepting() {
        listeners.forEach(c -> c.config().setAutoRead(true));
    }

    /**
     * Hands the clients over (an upgrade, once the next runner accepts from the same sockets):
     * {@link #stopAccepting}, which lets the HTTP clients go, and completes when every connection
     * but the pinned ones has closed; the caller bounds the wait (drain-timeout).
     */
    public CompletableFuture<Void> lastCall() {
        List<CompletableFuture<Void>> closed = new ArrayList<>();
        for (Channel ch : clients) {
            if (ch.pipeline().get(TcpRelay.class) != null) continue; // pinned: the drain's
            HttpRelay http = ch.pipeline().get(HttpRelay.class);
            if (http != null && http.upgraded()) continue; // a raw stream now (WebSocket): drained as pinned ones are
            CompletableFuture<Void> done = new CompletableFuture<>();
            ch.closeFuture().addListener(f -> done.complete(null));
            closed.add(done);
        }
        stopAccepting();
        return CompletableFuture.allOf(closed.toArray(CompletableFuture[]::new));
    }

    /** Client connections open now. */
    public int clientConnections() {
        return clients.size();
    }

    /**
     * Closes this process's listening descriptors, and lets every HTTP client go (auto mode: each
     * connection routed per request): its next response says {@code Connection: close} and the
     * connection closes after it, or once idle for a second. A client moved that way reconnects:
     * under socket activation or after an upgrade, to the runner that accepts from the same socket
     * next, instead of finding its kept-alive connection cut when this runner exits. Pinned
     * connections are left to the workers' drain.
     */
    @Override
    public void stopAccepting() {
        listeners.forEach(Channel::close);
        if (rotation.lastCall()) return;
        rotation.callLast();
        for (Channel ch : clients) ch.pipeline().fireUserEventTriggered(LastCall.INSTANCE);
    }

    @Override
    public void close() {
        stopAccepting();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS);
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
