package dev.actorrunner.cli;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * sd_notify(3) for a runner under systemd with {@code Type=notify}: {@code READY=1} once its
 * workers are ready, and, after an upgrade, {@code MAINPID=} of the runner that took over (with
 * {@code NotifyAccess=all}: the new runner is not yet the main process when it says so), so that
 * systemd follows it instead of stopping the service when the runner before exits. Java has no
 * Unix datagram sockets before 21 and none with credentials; Netty's epoll transport has.
 */
final class SystemdNotify {
    private static final Logger log = LoggerFactory.getLogger(SystemdNotify.class);

    private SystemdNotify() {}

    /** Whether systemd listens ({@code NOTIFY_SOCKET} is set). */
    static boolean expected(Map<String, String> env) {
        String socket = env.get("NOTIFY_SOCKET");
        return socket != null && !socket.isBlank();
    }

    /** Sends {@code state} (lines such as {@code READY=1}); false, and a warning, if it cannot. */
    static boolean send(Map<String, String> env, String state) {
        if (!expected(env)) return false;
        String path = env.get("NOTIFY_SOCKET");
        if (path.startsWith("@")) path = "\0" + path.substring(1); // the abstract namespace
        if (!Epoll.isAvailable()) {
            log.warn("systemd: cannot notify {} without the epoll transport", env.get("NOTIFY_SOCKET"));
            return false;
        }
        EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("actor-runner-notify", true),
                EpollIoHandler.newFactory());
        try {
            // Connected, not sent to an address: Netty writes only on an active (bound or connected) channel.
            Channel ch = new Bootstrap().group(loop).channel(EpollDomainDatagramChannel.class)
                    .handler(new ChannelInboundHandlerAdapter()).connect(new DomainSocketAddress(path))
                    .syncUninterruptibly().channel();
            ch.writeAndFlush(Unpooled.copiedBuffer(state, StandardCharsets.UTF_8)).syncUninterruptibly();
            ch.close().syncUninterruptibly();
            return true;
        } catch (Exception e) { // syncUninterruptibly rethrows the connect's IOException unchecked
            log.warn("systemd: cannot notify {} ({}): {}", env.get("NOTIFY_SOCKET"), state.replace('\n', ' ').strip(),
                    e.getMessage() != null ? e.getMessage() : e.toString());
            return false;
        } finally {
            loop.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
        }
    }
}
