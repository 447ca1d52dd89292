package dev.actorrunner.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainDatagramPacket;
import io.netty.channel.unix.DomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** sd_notify as systemd receives it: one datagram on the NOTIFY_SOCKET path. */
class SystemdNotifyTest {
    @TempDir
    Path dir;

    @Test
    void theStateArrivesAsOneDatagramOnTheNotifySocket() throws Exception {
        Path socket = dir.resolve("notify");
        BlockingQueue<String> received = new LinkedBlockingQueue<>();
        EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try {
            Channel systemd = new Bootstrap().group(loop).channel(EpollDomainDatagramChannel.class)
                    .handler(new SimpleChannelInboundHandler<DomainDatagramPacket>() {
                        @Override
                        protected void channelRead0(ChannelHandlerContext ctx, DomainDatagramPacket p) {
                            received.add(p.content().toString(StandardCharsets.UTF_8));
                        }
                    })
                    .bind(new DomainSocketAddress(socket.toFile())).sync().channel();
            assertTrue(SystemdNotify.send(Map.of("NOTIFY_SOCKET", socket.toString()), "MAINPID=42\nREADY=1\n"));
            assertEquals("MAINPID=42\nREADY=1\n", received.poll(5, TimeUnit.SECONDS));
            systemd.close().sync();
        } finally {
            loop.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
        }
    }

    @Test
    void withoutSystemdNothingIsSentAndNothingFails() {
        assertFalse(SystemdNotify.expected(Map.of()));
        assertFalse(SystemdNotify.send(Map.of(), "READY=1\n"));
        assertFalse(SystemdNotify.send(Map.of("NOTIFY_SOCKET", dir.resolve("nobody").toString()), "READY=1\n"),
                "a socket nobody listens on: a warning, not a failure");
    }
}
