package dev.actorrunner.probe;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Optional;

/** "The private port accepts a connection." Blocking; run through {@link Probes#bounded}. */
final class TcpCheck {

    private static final long FIRST_LOOK_MILLIS = 5;

    private TcpCheck() {}

    /**
     * Empty when the app behind 127.0.0.1:port accepts a connection within {@code timeout}, else
     * what happened. Accepts, not only connects: see {@link AcceptQueue}. Where the kernel's
     * tables cannot tell, a connect is enough.
     */
    static Optional<String> problem(int port, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Socket socket = open(new Socket(), port, timeout)) {
            if (socket == null) return Optional.of("nothing listens");
            // A live app accepts within a few milliseconds: the first look is after that, so that
            // a healthy worker costs one read of the kernel's table, not several.
            long pauseMillis = FIRST_LOOK_MILLIS;
            while (true) {
                Thread.sleep(Math.min(pauseMillis, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
                Optional<Boolean> accepted = AcceptQueue.accepted(port, socket.getLocalPort());
                if (accepted.isEmpty() || accepted.get()) return Optional.empty();
                if (deadline - System.nanoTime() <= 0) {
                    return Optional.of("connected, but not accepted within " + Probes.seconds(timeout));
                }
                pauseMillis = Math.min(pauseMillis * 2, 100);
            }
        }
    }

    /** A failed check's exception as a log line says it. */
    static String describe(Exception e, Duration timeout) {
        if (e instanceof java.net.SocketTimeoutException) return "no answer within " + Probes.seconds(timeout);
        if (e instanceof java.net.ConnectException) return "connection refused";
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }

    static boolean connects(int port) throws IOException {
        try (Socket socket = open(port)) {
            return socket != null;
        }
    }

    /**
     * A connected socket to 127.0.0.1:port, or null if what connected was ourselves: a connect to a
     * loopback port nobody listens on yet may be given that very port as its source and connect to
     * itself (TCP simultaneous open). That socket would also hold the port and make the worker's
     * bind fail, so it is closed at once and counts as not ready.
     */
    static Socket open(int port) throws IOException {
        return open(new Socket(), port);
    }

    /** {@link #open(int)} with a socket of the caller's (tests bind it to provoke a self-connect). */
    static Socket open(Socket socket, int port) throws IOException {
        return open(socket, port, Probes.IO_TIMEOUT);
    }

    static Socket open(Socket socket, int port, Duration timeout) throws IOException {
        try {
            socket.connect(new InetSocketAddress("127.0.0.1", port), (int) timeout.toMillis());
            if (socket.getLocalPort() == socket.getPort()) {
                socket.close();
                return null;
            }
            return socket;
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }
}
