package dev.actorrunner.front;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** Plain-socket servers that stand in for workers: each echoes what it reads, prefixed by its name. */
final class Backends implements AutoCloseable {
    private final List<Echo> servers = new ArrayList<>();

    Echo start(String name) throws IOException {
        Echo e = new Echo(name);
        servers.add(e);
        return e;
    }

    @Override
    public void close() {
        servers.forEach(Echo::close);
    }

    /** Answers every connection: writes its name, then echoes bytes until the client's FIN, then closes. */
    static final class Echo {
        final String name;
        final ServerSocket server;
        final AtomicInteger accepted = new AtomicInteger();
        final AtomicInteger open = new AtomicInteger();
        private final List<Socket> sockets = java.util.Collections.synchronizedList(new ArrayList<>());

        Echo(String name) throws IOException {
            this.name = name;
            this.server = new ServerSocket(0, 1024, InetAddress.getLoopbackAddress());
            Thread t = new Thread(this::acceptLoop, "echo-" + name);
            t.setDaemon(true);
            t.start();
        }

        int port() {
            return server.getLocalPort();
        }

        private void acceptLoop() {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    accepted.incrementAndGet();
                    open.incrementAndGet();
                    sockets.add(s);
                    Thread t = new Thread(() -> serve(s), "echo-" + name + "-conn");
                    t.setDaemon(true);
                    t.start();
                } catch (IOException closed) {
                    return;
                }
            }
        }

        private void serve(Socket s) {
            try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                out.write((name + ":").getBytes());
                out.flush();
                byte[] buf = new byte[8192];
                int n;
                while ((n = in.read(buf)) > 0) {
                    out.write(buf, 0, n);
                    out.flush();
                }
                out.write(("|bye from " + name).getBytes()); // after the client's FIN: half-close works
                out.flush();
            } catch (IOException ignored) {
                // reset by the client: fine for a stand-in
            } finally {
                open.decrementAndGet();
            }
        }

        void close() {
            try {
                server.close();
            } catch (IOException ignored) {
                // closing anyway
            }
            synchronized (sockets) {
                for (Socket s : sockets) {
                    try {
                        s.close();
                    } catch (IOException ignored) {
                        // closing anyway
                    }
                }
            }
        }
    }
}
