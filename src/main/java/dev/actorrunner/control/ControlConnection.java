package dev.actorrunner.control;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.socket.DuplexChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntFunction;

/**
 * One client's connection, as its session writes to it: JSON lines ({@link ControlProtocol}),
 * exactly one last line, then the close. Thread-safe: the session writes from its actor, the server
 * from the thread that closes it; whoever is first with the last line wins.
 */
final class ControlConnection {
    private final Channel channel;
    private final AtomicBoolean finished = new AtomicBoolean();
    /** The last line when the runner's process ends before the session could say it (exit code -> line). */
    private volatile IntFunction<String> lastWords;

    ControlConnection(Channel channel) {
        this.channel = channel;
    }

    void progress(String message) {
        if (!finished.get()) write(ControlProtocol.progress(message));
    }

    /** The last line ({@link ControlProtocol#result} or {@link ControlProtocol#error}), then the close. */
    void finish(String line) {
        if (finished.compareAndSet(false, true)) write(line).addListener(ChannelFutureListener.CLOSE);
    }

    /** What to say last if the runner exits first ({@link #runnerGone}); null: nothing, just close. */
    void onRunnerGone(IntFunction<String> lastWords) {
        this.lastWords = lastWords;
    }

    /** The runner's system has ended with {@code exitCode}: the last line, if the session had one to say. */
    void runnerGone(int exitCode) {
        IntFunction<String> words = lastWords;
        if (words != null) {
            finish(words.apply(exitCode));
        } else if (finished.compareAndSet(false, true)) {
            channel.close();
        }
    }

    /**
     * Tells the peer why it is turned away, without reading its request. The connection is closed
     * a moment later, not at once: closing a Unix socket with unread input resets it, and the peer
     * would see "connection reset" instead of the reason.
     */
    void refuse(String why) {
        if (!finished.compareAndSet(false, true)) return;
        write(ControlProtocol.error(why)).addListener(f -> {
            if (channel instanceof DuplexChannel duplex) duplex.shutdownOutput();
        });
        channel.eventLoop().schedule(() -> channel.close(), 1, TimeUnit.SECONDS);
    }

    /** The last line is out (or on its way): the session that wrote it has ended. */
    boolean finished() {
        return finished.get();
    }

    Channel channel() {
        return channel;
    }

    private io.netty.channel.ChannelFuture write(String line) {
        return channel.writeAndFlush(Unpooled.copiedBuffer(line + "\n", StandardCharsets.UTF_8));
    }
}
