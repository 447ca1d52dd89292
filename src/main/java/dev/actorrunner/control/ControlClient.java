package dev.actorrunner.control;

import dev.actorrunner.control.ControlProtocol.Reply;
import dev.actorrunner.control.ControlProtocol.Request;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/** The client side of the control socket, for the CLI's {@code status}, {@code reload}, {@code scale}, {@code stop}. */
public final class ControlClient {

    private ControlClient() {}

    /** Nothing answers on the socket: no runner, a stale file, or no permission. The message is one line. */
    public static final class Unreachable extends IOException {
        private static final long serialVersionUID = 1L;

        Unreachable(String message) {
            super(message);
        }
    }

    /**
     * Sends {@code request} and hands each progress line to {@code progress}; returns the final
     * line, or null when the runner closed the connection without one (it exited).
     */
    public static Reply exchange(Path socket, Request request, Consumer<Reply> progress) throws IOException {
        SocketChannel channel;
        try {
            channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            channel.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            throw new Unreachable(why(socket, e));
        }
        try (channel) {
            OutputStream out = Channels.newOutputStream(channel);
            out.write((request.toJson() + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel),
                    StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null) {
                Reply reply = Reply.parse(line);
                if (reply.isFinal()) return reply;
                progress.accept(reply);
            }
            return null;
        }
    }

    private static String why(Path socket, IOException e) {
        if (!Files.exists(socket)) return "no runner listens on " + socket + " (no such socket)";
        String m = String.valueOf(e.getMessage());
        if (m.contains("Permission denied")) return "cannot use " + socket + ": permission denied (a runner of another user?)";
        if (m.contains("Connection refused")) return "no runner listens on " + socket + " (connection refused: a stale socket?)";
        return "no runner listens on " + socket + " (" + m + ")";
    }
}
