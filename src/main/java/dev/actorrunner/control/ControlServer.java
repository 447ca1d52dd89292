package dev.actorrunner.control;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Props;
import dev.actorrunner.ActorRunner;
import dev.actorrunner.control.ControlProtocol.Request;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.timeout.ReadTimeoutException;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runner's control socket: a Unix domain socket that only its owner may use, served by Netty
 * (native epoll, one event loop thread). The socket file gets mode 600 right after bind (checked,
 * and the runner refuses to start otherwise); a default path lies in a directory of mode 700
 * besides; and every connection's peer is checked with SO_PEERCRED, so a connection from another
 * user (but root) is refused even in the moment between bind and chmod. A connection sends one
 * request line (within {@link #REQUEST_TIMEOUT}, at most {@link ControlProtocol#MAX_REQUEST_BYTES});
 * an actor of its own ({@link ControlSession}) carries it out and writes the answer.
 */
public final class ControlServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ControlServer.class);

    /** Requests served at once; `reload --wait` holds one for the whole reload. */
    static final int MAX_SESSIONS = 8;
    /** A client that sends no request line by then is cut off. */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
    /** How long close() lets waiting sessions write their last line. */
    static final Duration CLOSE_GRACE = Duration.ofSeconds(2);
    private static final AtomicLong names = new AtomicLong();

    private final Path path;
    private final EventLoopGroup loop;
    private final Channel server;
    private final StatusView.HostInfo host;
    /** The uid that owns the socket: this runner's. */
    private final int ownerUid;
    private final String ownerName;
    /**
     * The inode this server bound (dev and ino), to remove at close only the socket file it
     * created; null until {@link #publish} for a server bound unpublished.
     */
    private volatile Object fileKey;
    /** The name it was bound under, until {@link #publish} moves it to {@link #path}; null once published. */
    private volatile Path unpublished;
    private final Set<ControlConnection> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger sessions = new AtomicInteger();
    private volatile RunnerHandle runner;
    private volatile boolean closing;

    private ControlServer(Path path, EventLoopGroup loop, Channel server, StatusView.HostInfo host, int ownerUid,
                          String ownerName, Object fileKey) {
        this.path = path;
        this.loop = loop;
        this.server = server;
        this.host = host;
        this.ownerUid = ownerUid;
        this.ownerName = ownerName;
        this.fileKey = fileKey;
    }

    /**
     * Binds {@code path} owner-only; {@link #serve} starts answering. Bound before the runner
     * starts, so that a path in use is a usage error and no worker is forked for nothing. A stale
     * socket left by a runner that was killed is replaced; one on which a runner still answers, or
     * anything that is not a socket (a file, a symlink, a fifo), is an error. {@code privateDir}:
     * the path is a default one whose directory this runner may create (mode 700) and must find
     * private; otherwise the path's directory must let no one but this user and root replace the
     * socket. The exception's message is one line for the user.
     */
    public static ControlServer bind(Path path, boolean privateDir, Map<String, String> env,
                                     StatusView.HostInfo host) throws IOException {
        return bind(path, privateDir, env, host, false);
    }

    /**
     * As {@link #bind(Path, boolean, Map, StatusView.HostInfo)}; with {@code unpublished} the socket
     * is bound under a hidden name beside {@code path} and reaches the path only at {@link #publish}:
     * the next runner of an upgrade binds its socket while the runner before it still answers at
     * the path, and takes the path over in one rename once it serves.
     */
    public static ControlServer bind(Path path, boolean privateDir, Map<String, String> env,
                                     StatusView.HostInfo host, boolean unpublished) throws IOException {
        if (privateDir) {
            SocketPaths.preparePrivateDir(path, env);
            SocketPaths.removeDead(path, env);
        } else {
            DirectoryTrust.check(path.getParent(), "the socket");
        }
        if (!unpublished) removeStale(path); // an upgrade's path is the running runner's, and stays its own until publish
        // Bound under a name of its own, then linked into place: Netty removes the file it bound
        // when the channel closes, and by then the path may hold another runner's socket, which
        // must survive. The link also means the path never shows the socket with any mode but 600.
        Path bound = path.resolveSibling("." + path.getFileName() + "." + ProcessHandle.current().pid());
        removeStale(bound);
        boolean epoll = Epoll.isAvailable();
        EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("actor-runner-control", true),
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        Holder holder = new Holder();
        Channel channel = null;
        Object ours = null;
        try {
            SocketAddress address = epoll ? new DomainSocketAddress(bound.toFile()) : UnixDomainSocketAddress.of(bound);
            channel = new ServerBootstrap().group(loop)
                    .channel(epoll ? EpollServerDomainSocketChannel.class : NioServerDomainSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 16)
                    // Nothing is accepted until serve(): connections made before wait in the backlog.
                    .option(ChannelOption.AUTO_READ, false)
                    .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .childHandler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast("timeout", new ReadTimeoutHandler(REQUEST_TIMEOUT.toMillis(),
                                            TimeUnit.MILLISECONDS))
                                    .addLast(new LineBasedFrameDecoder(ControlProtocol.MAX_REQUEST_BYTES, true, true))
                                    .addLast(holder.server.new Connection());
                        }
                    })
                    .bind(address).syncUninterruptibly().channel();
            // chmod follows a symlink, but no one else can have swapped the socket for one: the
            // directory was checked above to be ours, root's, or sticky.
            Files.setPosixFilePermissions(bound, SocketPaths.OWNER_ONLY_SOCKET);
            var mode = Files.getPosixFilePermissions(bound, LinkOption.NOFOLLOW_LINKS);
            if (!mode.equals(SocketPaths.OWNER_ONLY_SOCKET)) {
                throw new IOException(path + ": mode " + PosixFilePermissions.toString(mode) + " after chmod 600");
            }
            if (!unpublished) {
                try {
                    Files.createLink(path, bound); // link(2): fails, never replaces, if the path was taken meanwhile
                } catch (java.nio.file.FileAlreadyExistsException taken) {
                    throw new IOException(path + ": another runner listens there");
                }
                ours = fileKey(path);
                Files.delete(bound);
            }
            int uid = (Integer) Files.getAttribute(unpublished ? bound : path, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            holder.server = new ControlServer(path, loop, channel, host.withControlSocket(path.toString()), uid,
                    SocketPaths.currentUser().getName(), ours);
            holder.server.unpublished = unpublished ? bound : null;
            return holder.server;
        } catch (Exception e) {
            if (channel != null) channel.close().syncUninterruptibly(); // removes the file it bound, if still there
            loop.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            // Only what this bind created: a failed bind means someone else's file is there.
            if (ours != null) {
                try {
                    deleteIfOurs(path, ours);
                } catch (IOException notRemoved) {
                    e.addSuppressed(notRemoved);
                }
            }
            throw e instanceof IOException io && io.getMessage() != null && io.getMessage().startsWith(path.toString())
                    ? io : new IOException(path + ": cannot listen there (" + e.getMessage() + ")", e);
        }
    }

    /** The server, for the connections' handlers: set before serve() lets the first one in. */
    private static final class Holder {
        volatile ControlServer server;
    }

    /** Starts answering requests, which go to {@code runner}. Connections made before wait in the backlog. */
    public void serve(RunnerHandle runner) {
        this.runner = runner;
        server.config().setAutoRead(true);
    }

    /** From stat(2): the file type bits of st_mode, and the types of a socket and a symlink. */
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;
    private static final int S_IFLNK = 0120000;

    private static void removeStale(Path path) throws IOException {
        int type;
        try {
            type = ((Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS)).intValue() & S_IFMT;
        } catch (java.nio.file.NoSuchFileException none) {
            return;
        }
        // Never follow or remove a link, a file or a fifo planted there (a fifo too refuses connections).
        if (type == S_IFLNK) throw new IOException(path + ": exists and is a symbolic link, not a socket");
        if (type != S_IFSOCK) throw new IOException(path + ": exists and is not a socket");
        try {
            SocketChannel.open(UnixDomainSocketAddress.of(path)).close();
        } catch (java.net.ConnectException refused) {
            // Left by a runner that was killed: nothing listens on it any more.
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                String why = e instanceof java.nio.file.AccessDeniedException ? "permission denied" : String.valueOf(e.getMessage());
                throw new IOException(path + ": a stale socket that cannot be removed (" + why + ")", e);
            }
            return;
        } catch (IOException e) {
            throw new IOException(path + ": cannot tell whether a runner listens there (" + e.getMessage() + ")", e);
        }
        throw new IOException(path + ": another runner listens there");
    }

    private static Object fileKey(Path path) throws IOException {
        return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
    }

    /**
     * Removes the socket file only if it is still the one this server bound: another runner may
     * have taken the path over meanwhile (after someone removed ours), and its socket must survive.
     */
    private static void deleteIfOurs(Path path, Object ours) throws IOException {
        try {
            if (ours.equals(fileKey(path))) Files.delete(path);
        } catch (java.nio.file.NoSuchFileException gone) {
            // nothing to remove
        }
    }

    public Path path() {
        return path;
    }

    /**
     * Moves a socket bound unpublished to its path, in one rename(2): a socket of the runner
     * before there is replaced (that runner still serves the connections it has, and will not
     * remove what is now ours). Nothing for a published one.
     */
    public synchronized void publish() throws IOException {
        Path from = unpublished;
        if (from == null || closing) return;
        Files.move(from, path, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        fileKey = fileKey(path);
        unpublished = null;
    }

    /**
     * Leaves the path to the next runner, which renames its own socket over it ({@link #publish}),
     * and keeps serving the connections this one has: a runner that handed over. Nothing is
     * removed, now or at {@link #close}: removing raced that rename (the file checked to be ours,
     * then renamed over, then removed: the next runner's socket gone), and the rename replaces
     * this socket anyway, so the path is never without one.
     */
    public synchronized void unpublish() {
        fileKey = null;
    }

    /**
     * Stops accepting, gives each session that follows the runner its last line (with the
     * runner's exit code) and the others a close, waits for them up to {@link #CLOSE_GRACE}, and
     * removes the socket file if it is still ours.
     */
    public synchronized void close(int runnerExitCode) {
        if (closing) return;
        closing = true;
        server.close().syncUninterruptibly();
        try {
            if (fileKey != null) deleteIfOurs(path, fileKey);
        } catch (IOException e) {
            log.warn("control socket {}: not removed: {}", path, e.getMessage());
        }
        open.forEach(c -> c.runnerGone(runnerExitCode));
        long deadline = System.nanoTime() + CLOSE_GRACE.toNanos();
        for (ControlConnection c : open) {
            long left = deadline - System.nanoTime();
            if (left > 0) c.channel().closeFuture().awaitUninterruptibly(left, TimeUnit.NANOSECONDS);
        }
        loop.shutdownGracefully(0, CLOSE_GRACE.toMillis(), TimeUnit.MILLISECONDS).syncUninterruptibly();
    }

    @Override
    public void close() {
        close(-1);
    }

    /** Why the peer may not use the socket, or null: only our own user (and root) may. */
    private String refusal(Channel channel) {
        if (!(channel instanceof EpollDomainSocketChannel domain)) return null; // not Linux: mode 600 is the check
        try {
            int uid = domain.peerCredentials().uid();
            if (uid == ownerUid || uid == 0) return null;
            log.warn("control socket {}: refused a connection from uid {}", path, uid);
        } catch (IOException e) {
            log.warn("control socket {}: refused a connection whose peer cannot be known ({})", path, e.getMessage());
        }
        return "refused: the runner belongs to " + ownerName;
    }

    /** One connection: one request line, one session. Runs on the control event loop. */
    private final class Connection extends ChannelInboundHandlerAdapter {
        private ControlConnection connection;
        private ActorRef<ControlSession.Command> session;
        private boolean admitted;
        private boolean answered;

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            connection = new ControlConnection(ctx.channel());
            open.add(connection);
            String refused = refusal(ctx.channel());
            if (refused == null && sessions.incrementAndGet() > MAX_SESSIONS) {
                sessions.decrementAndGet();
                refused = "busy: " + MAX_SESSIONS + " requests are being served; try again";
            } else if (refused == null) {
                admitted = true;
            }
            if (refused != null) {
                answered = true;
                connection.refuse(refused);
            }
            ctx.fireChannelActive();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (answered) return; // a line after the request, or input of a refused peer
                answered = true;
                ctx.pipeline().remove("timeout"); // the answer may take as long as a reload
                Request request;
                try {
                    request = Request.parse(((ByteBuf) msg).toString(StandardCharsets.UTF_8));
                } catch (ControlProtocol.BadRequest e) {
                    connection.finish(ControlProtocol.error(e.getMessage()));
                    return;
                }
                RunnerHandle r = runner;
                if (request.command() == ControlProtocol.Command.FLEET && r.fleet().isPresent()) {
                    delegate(r.fleet().get()::handle, request, connection);
                    return;
                }
                if (request.command() == ControlProtocol.Command.UPGRADE && r.upgrade().isPresent()) {
                    delegate(r.upgrade().get()::upgrade, request, connection);
                    return;
                }
                session = r.system().systemActorOf(ControlSession.create(request, r.runner(), r.reload(), host, connection,
                        ctx.channel().eventLoop(), () -> closing), "control-session-" + names.incrementAndGet(),
                        Props.empty());
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        /**
         * A fleet or upgrade request goes to the layer that carries it out, which answers with
         * progress lines and a last one.
         */
        private void delegate(java.util.function.BiFunction<java.util.Map<String, Object>, java.util.function.Consumer<String>,
                java.util.concurrent.CompletionStage<FleetControl.Reply>> handler, Request request, ControlConnection out) {
            handler.apply(request.fleet(), out::progress).whenComplete((reply, failure) -> {
                if (failure != null) {
                    out.finish(ControlProtocol.error(request.command().name().toLowerCase() + ": " + failure.getMessage()));
                    return;
                }
                java.util.Map<String, Object> data = new java.util.LinkedHashMap<>(reply.data());
                data.put("exit", reply.exitCode());
                out.finish(ControlProtocol.result(reply.exitCode() == 0, reply.message(), data));
            });
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event instanceof ChannelInputShutdownEvent && !answered) {
                answered = true;
                connection.finish(ControlProtocol.error("no request line"));
            }
            ctx.fireUserEventTriggered(event);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof TooLongFrameException && !answered) {
                answered = true;
                connection.finish(ControlProtocol.error("request longer than " + ControlProtocol.MAX_REQUEST_BYTES
                        + " bytes"));
            } else if (!(cause instanceof ReadTimeoutException)) { // that one closes by itself: no request, no answer
                ctx.close();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            open.remove(connection);
            if (admitted) sessions.decrementAndGet();
            // A session that said its last line has ended; only one still at work needs to know.
            if (session != null && !connection.finished()) session.tell(ControlSession.ClientGone.INSTANCE);
            ctx.fireChannelInactive();
        }
    }
}
