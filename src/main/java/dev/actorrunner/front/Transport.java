package dev.actorrunner.front;

import dev.actorrunner.config.RunnerSettings;
import io.netty.channel.Channel;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;

/**
 * The front's Netty transport, chosen once at start. {@code auto} takes the first this kernel
 * offers of {@link #AUTO_ORDER}; one asked for by name that the kernel lacks falls back the same
 * way (epoll, then NIO), and {@link #note} says so, for the log.
 *
 * @param note why this one, when it is not the one asked for (null otherwise)
 */
record Transport(String name, IoHandlerFactory io, Class<? extends ServerChannel> serverChannel,
                 Class<? extends Channel> socketChannel, String note) {

    /**
     * What auto tries: epoll. io_uring cost the runner's own account less per request (0.74x
     * HAProxy's vs 1.06x in tcp mode) but the whole machine about the same (0.92x vs 0.91x), and one
     * http bench round had 31 non-2xx answers of 130,000 that epoll never showed (not reproduced
     * in 930,000 more): opt-in until that is understood.
     */
    static final RunnerSettings.Transport[] AUTO_ORDER = {RunnerSettings.Transport.EPOLL, RunnerSettings.Transport.IO_URING};

    static Transport choose(RunnerSettings.Transport wanted) {
        if (wanted == RunnerSettings.Transport.AUTO) {
            for (RunnerSettings.Transport t : AUTO_ORDER) {
                if (available(t)) return of(t, null);
            }
            return of(RunnerSettings.Transport.NIO, null);
        }
        if (available(wanted)) return of(wanted, null);
        String why = wanted == RunnerSettings.Transport.IO_URING ? unavailable(IoUring.unavailabilityCause())
                : unavailable(Epoll.unavailabilityCause());
        RunnerSettings.Transport fallback = wanted != RunnerSettings.Transport.EPOLL && Epoll.isAvailable()
                ? RunnerSettings.Transport.EPOLL : RunnerSettings.Transport.NIO;
        return of(fallback, label(wanted) + " is not available here (" + why + "): using " + label(fallback));
    }

    private static boolean available(RunnerSettings.Transport t) {
        return switch (t) {
            case IO_URING -> IoUring.isAvailable();
            case EPOLL -> Epoll.isAvailable();
            case NIO -> true;
            case AUTO -> false;
        };
    }

    private static Transport of(RunnerSettings.Transport t, String note) {
        return switch (t) {
            case IO_URING -> new Transport("io_uring", IoUringIoHandler.newFactory(), IoUringServerSocketChannel.class,
                    IoUringSocketChannel.class, note);
            case EPOLL -> new Transport("epoll", EpollIoHandler.newFactory(), EpollServerSocketChannel.class,
                    EpollSocketChannel.class, note);
            default -> new Transport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class,
                    NioSocketChannel.class, note);
        };
    }

    private static String label(RunnerSettings.Transport t) {
        return t.name().toLowerCase(java.util.Locale.ROOT);
    }

    private static String unavailable(Throwable cause) {
        if (cause == null) return "unknown cause";
        String m = cause.getMessage();
        return m == null ? cause.getClass().getSimpleName() : m.lines().findFirst().orElse(m);
    }
}
