package dev.actorrunner.probe;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/** "The private port accepts a connection." Blocking; run through {@link Probes#bounded}. */
final class TcpCheck {

    private TcpCheck() {}

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
        try {
            socket.connect(new InetSocketAddress("127.0.0.1", port), (int) Probes.IO_TIMEOUT.toMillis());
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
