package dev.actorrunner.cli;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.DomainSocketReadMode;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.UnixChannelOption;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The wire between two runners during an upgrade: the runner before hands its listening sockets to
 * the next one over a Unix socket (SCM_RIGHTS), and they tell each other where they are. Linux
 * keeps one accept queue per socket, shared by every process that holds it, so a connection that
 * arrives while both hold the socket is accepted by whichever accepts next, never refused.
 *
 * <pre>
 *   before -> next   the listening sockets, as many as {@value #FDS_ENV} says
 *   next -> before   "READY"            its workers are ready and it accepts
 *                    "FAILED reason"    it cannot get ready, and stops
 *   before -> next   "RELEASED"         it commits: it stops accepting, and drains
 *                    "ABORTED"          it gives up on this upgrade, and stops the next runner
 * </pre>
 * The next runner takes the control socket path, the pid file and systemd's main pid only at
 * RELEASED, so that an upgrade the runner before gives up at the last moment leaves everything
 * its own. A close by either side before that: the other one is gone. The runner before listens at a path
 * in its private directory (mode 700) and talks only to the process it started (SO_PEERCRED), whose
 * environment names the path ({@value #SOCKET_ENV}); none of these variables reaches a worker.
 */
final class Handover {
    static final String SOCKET_ENV = "ACTOR_RUNNER_HANDOVER";
    static final String FDS_ENV = "ACTOR_RUNNER_HANDOVER_FDS";
    static final String FROM_ENV = "ACTOR_RUNNER_HANDOVER_FROM";

    /** How long the next runner waits for the sockets: they are sent as soon as it connects. */
    static final Duration RECEIVE_TIMEOUT = Duration.ofSeconds(10);

    private Handover() {}

    /** The runner before's last word to the next one. */
    enum Outcome { RELEASED, ABORTED, GONE }

    /** A handover that cannot take place; the message is one line for the user. */
    static final class Failed extends Exception {
        private static final long serialVersionUID = 1L;

        Failed(String message) {
            super(message, null, false, false);
        }
    }

    private static EventLoopGroup loop(String name) {
        return new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory(name, true), EpollIoHandler.newFactory());
    }

    private static ByteBuf line(String text) {
        return Unpooled.copiedBuffer(text.replaceAll("[\\r\\n]+", " ") + "\n", StandardCharsets.UTF_8);
    }

    // ---- the runner before ----

    /** The runner before's end: listens, sends the sockets to its child, hears READY. */
    static final class Giver implements AutoCloseable {
        private final EventLoopGroup loop;
        private final Channel server;
        private final Path path;
        private final List<FileDescriptor> sockets;
        private final CompletableFuture<Long> childPid = new CompletableFuture<>();
        /** Completes at READY; fails at FAILED, or when the next runner closes the handover first. */
        private final CompletableFuture<Void> ready = new CompletableFuture<>();
        private volatile Channel peer;
        private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

        private Giver(EventLoopGroup loop, Channel server, Path path, List<FileDescriptor> sockets) {
            this.loop = loop;
            this.server = server;
            this.path = path;
            this.sockets = sockets;
        }

        /** Listens at {@code path} (a stale file of a runner killed mid-upgrade is replaced). */
        static Giver listen(Path path, List<FileDescriptor> sockets) throws Failed {
            if (!Epoll.isAvailable()) throw new Failed("upgrade needs the epoll transport (Linux)");
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                throw new Failed(path + ": cannot remove a stale handover socket (" + e.getMessage() + ")");
            }
            EventLoopGroup loop = loop("actor-runner-handover");
            Giver[] self = new Giver[1];
            try {
                Channel server = new ServerBootstrap().group(loop).channel(EpollServerDomainSocketChannel.class)
                        .childHandler(new ChannelInitializer<EpollDomainSocketChannel>() {
                            @Override
                            protected void initChannel(EpollDomainSocketChannel ch) {
                                ch.pipeline().addLast(new LineBasedFrameDecoder(4096), self[0].new FromNext());
                            }
                        })
                        .bind(new DomainSocketAddress(path.toFile())).syncUninterruptibly().channel();
                Files.setPosixFilePermissions(path, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
                self[0] = new Giver(loop, server, path, sockets);
                return self[0];
            } catch (Exception e) {
                loop.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
                throw new Failed(path + ": cannot listen for the next runner (" + e.getMessage() + ")");
            }
        }

        Path path() {
            return path;
        }

        /** The process that may connect: the one this runner started. */
        void expect(long pid) {
            childPid.complete(pid);
        }

        CompletableFuture<Void> ready() {
            return ready;
        }

        /** Tells the next runner that this one commits: it stops accepting, the next one is in charge. */
        void release() {
            Channel ch = peer;
            if (ch != null) ch.writeAndFlush(line("RELEASED")).syncUninterruptibly();
        }

        /** Tells the next runner that this upgrade is given up (before it is stopped). */
        void abort() {
            if (closed.get()) return;
            Channel ch = peer;
            if (ch != null && ch.isActive()) ch.writeAndFlush(line("ABORTED")).awaitUninterruptibly(1, TimeUnit.SECONDS);
        }

        /** Stops listening; an open connection closes, which the next runner reads as this one being gone. Once. */
        @Override
        public void close() {
            if (!closed.compareAndSet(false, true)) return;
            Channel ch = peer;
            if (ch != null) ch.close().syncUninterruptibly(); // a server's close leaves its accepted channels open
            server.close().syncUninterruptibly(); // removes the socket file
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }

        private final class FromNext extends SimpleChannelInboundHandler<ByteBuf> {
            @Override
            public void channelActive(ChannelHandlerContext ctx) {
                EpollDomainSocketChannel ch = (EpollDomainSocketChannel) ctx.channel();
                childPid.thenAccept(expected -> ch.eventLoop().execute(() -> admit(ch, expected)));
            }

            private void admit(EpollDomainSocketChannel ch, long expected) {
                long pid;
                try {
                    pid = ch.peerCredentials().pid();
                } catch (IOException e) {
                    pid = -1;
                }
                if (pid != expected || peer != null) {
                    ch.close(); // not the runner we started: it gets nothing
                    return;
                }
                peer = ch;
                for (FileDescriptor fd : sockets) ch.write(fd);
                ch.flush();
            }

            @Override
            protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
                if (ctx.channel() != peer) return;
                String text = msg.toString(StandardCharsets.UTF_8).strip();
                if (text.equals("READY")) {
                    ready.complete(null);
                } else if (text.startsWith("FAILED")) {
                    ready.completeExceptionally(new Failed(text.substring("FAILED".length()).strip()));
                }
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                if (ctx.channel() == peer) ready.completeExceptionally(new Failed("the next runner closed the handover"));
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                ctx.close();
            }
        }
    }

    // ---- the next runner ----

    /** The next runner's end: takes the sockets at start, says READY, hears RELEASED. */
    static final class Taker implements AutoCloseable {
        private final EventLoopGroup loop;
        private final Channel channel;
        private final List<Integer> fds;
        private final long from;
        /** Completes at RELEASED or ABORTED, or when the runner before is gone (the handover closed). */
        private final CompletableFuture<Outcome> released;

        private Taker(EventLoopGroup loop, Channel channel, List<Integer> fds, long from, CompletableFuture<Outcome> released) {
            this.loop = loop;
            this.channel = channel;
            this.fds = fds;
            this.from = from;
            this.released = released;
        }

        /** Whether this process was started by a runner to take over from it. */
        static boolean requested(Map<String, String> env) {
            return env.containsKey(SOCKET_ENV);
        }

        /**
         * Connects to the runner before and takes its sockets; none when this process was not
         * started for an upgrade. Blocks for up to {@link #RECEIVE_TIMEOUT}: at start, before the
         * actor system, on the CLI's thread.
         */
        static Optional<Taker> connect(Map<String, String> env) throws Failed {
            String path = env.get(SOCKET_ENV);
            if (path == null) return Optional.empty();
            int count;
            long from;
            try {
                count = Integer.parseInt(env.getOrDefault(FDS_ENV, ""));
                from = Long.parseLong(env.getOrDefault(FROM_ENV, "0"));
            } catch (NumberFormatException e) {
                throw new Failed("upgrade: " + FDS_ENV + " or " + FROM_ENV + " is not a number");
            }
            if (count < 1 || count > 64) throw new Failed("upgrade: " + FDS_ENV + "=" + count + ": expected 1 to 64 sockets");
            if (!Epoll.isAvailable()) throw new Failed("upgrade needs the epoll transport (Linux)");
            EventLoopGroup loop = loop("actor-runner-handover");
            CompletableFuture<List<Integer>> received = new CompletableFuture<>();
            CompletableFuture<Outcome> released = new CompletableFuture<>();
            List<Integer> fds = new ArrayList<>();
            try {
                Channel ch = new Bootstrap().group(loop).channel(EpollDomainSocketChannel.class)
                        .option(UnixChannelOption.DOMAIN_SOCKET_READ_MODE, DomainSocketReadMode.FILE_DESCRIPTORS)
                        .handler(new ChannelInitializer<EpollDomainSocketChannel>() {
                            @Override
                            protected void initChannel(EpollDomainSocketChannel ch) {
                                ch.pipeline().addLast("handover", new FromBefore(count, fds, received, released));
                            }
                        })
                        .connect(new DomainSocketAddress(path)).syncUninterruptibly().channel();
                received.get(RECEIVE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                return Optional.of(new Taker(loop, ch, List.copyOf(fds), from, released));
            } catch (TimeoutException e) {
                loop.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
                throw new Failed("upgrade: the runner before (pid " + from + ") sent no sockets in "
                        + RECEIVE_TIMEOUT.toSeconds() + "s");
            } catch (ExecutionException e) {
                loop.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
                throw new Failed("upgrade: " + e.getCause().getMessage());
            } catch (Exception e) {
                loop.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
                throw new Failed("upgrade: cannot reach the runner before (pid " + from + ") at " + path + ": "
                        + e.getMessage());
            }
        }

        /** The sockets taken, as this process's fds. */
        List<Integer> fds() {
            return fds;
        }

        /** The runner before's pid. */
        long from() {
            return from;
        }

        /** Says READY: this runner's workers are ready and it accepts. */
        void ready() {
            channel.writeAndFlush(line("READY"));
        }

        /** Says FAILED: this runner cannot get ready and stops. */
        void failed(String why) {
            channel.writeAndFlush(line("FAILED " + why));
        }

        /** What the runner before said last: RELEASED, ABORTED, or nothing before it was gone. */
        CompletableFuture<Outcome> released() {
            return released;
        }

        @Override
        public void close() {
            channel.close();
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }

        /** Reads the fds, then switches to lines (the runner before sends nothing more until READY). */
        private static final class FromBefore extends SimpleChannelInboundHandler<Object> {
            private final int count;
            private final List<Integer> fds;
            private final CompletableFuture<List<Integer>> received;
            private final CompletableFuture<Outcome> released;

            FromBefore(int count, List<Integer> fds, CompletableFuture<List<Integer>> received,
                       CompletableFuture<Outcome> released) {
                this.count = count;
                this.fds = fds;
                this.received = received;
                this.released = released;
            }

            @Override
            protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof FileDescriptor fd) {
                    fds.add(fd.intValue());
                    if (fds.size() == count) {
                        ((EpollDomainSocketChannel) ctx.channel()).config().setReadMode(DomainSocketReadMode.BYTES);
                        ctx.pipeline().addBefore("handover", "lines", new LineBasedFrameDecoder(4096));
                        received.complete(List.copyOf(fds));
                    }
                } else if (msg instanceof ByteBuf b) {
                    String text = b.toString(StandardCharsets.UTF_8).strip();
                    if (text.equals("RELEASED")) released.complete(Outcome.RELEASED);
                    if (text.equals("ABORTED")) released.complete(Outcome.ABORTED);
                }
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                received.completeExceptionally(new IOException("the runner before closed the handover after "
                        + fds.size() + " of " + count + " sockets"));
                released.complete(Outcome.GONE);
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                ctx.close();
            }
        }
    }
}
