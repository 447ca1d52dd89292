package dev.actorrunner.front;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/** HTTP stand-ins for workers: JDK HttpServers with a few paths, and raw-socket misbehavers. */
final class HttpBackends implements AutoCloseable {
    private final List<AutoCloseable> open = new ArrayList<>();

    /**
     * {@code GET /} answers its name; {@code POST /echo} answers the body it read; {@code /big?mb=N}
     * streams N MiB chunked; {@code /slow} answers after {@link Web#release} is counted down;
     * {@code /headers} answers the X-Forwarded-* it got. Counts requests per path.
     */
    Web web(String name) throws IOException {
        Web w = new Web(name);
        open.add(w);
        return w;
    }

    /** Reads one request head, then closes without a byte of answer. */
    Mute mute() throws IOException {
        Mute m = new Mute();
        open.add(m);
        return m;
    }

    /**
     * A hung worker: reads each request head and answers nothing, the connection kept open; with
     * {@code partial}, sends a response head and 10 of its 100 bytes first, then nothing more.
     */
    Hung hung(boolean partial) throws IOException {
        Hung h = new Hung(partial);
        open.add(h);
        return h;
    }

    /** Answers a request with Upgrade by 101, then echoes bytes until closed. */
    Upgrader upgrader() throws IOException {
        Upgrader u = new Upgrader();
        open.add(u);
        return u;
    }

    @Override
    public void close() throws Exception {
        for (AutoCloseable c : open) c.close();
    }

    static final class Web implements AutoCloseable {
        final String name;
        final HttpServer server;
        final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
        volatile CountDownLatch release = new CountDownLatch(1);
        final CountDownLatch slowArrived = new CountDownLatch(1);

        Web(String name) throws IOException {
            this.name = name;
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 100);
            server.setExecutor(Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "web-" + name);
                t.setDaemon(true);
                return t;
            }));
            server.createContext("/", this::handle);
            server.start();
        }

        int port() {
            return server.getAddress().getPort();
        }

        int hits(String path) {
            return hits.getOrDefault(path, new AtomicInteger()).get();
        }

        private void handle(HttpExchange ex) throws IOException {
            String path = ex.getRequestURI().getPath();
            hits.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
            byte[] body = ex.getRequestBody().readAllBytes();
            switch (path) {
                case "/echo" -> send(ex, 200, body);
                case "/headers" -> send(ex, 200, ("for=" + ex.getRequestHeaders().getFirst("X-Forwarded-For")
                        + " proto=" + ex.getRequestHeaders().getFirst("X-Forwarded-Proto")
                        + " host=" + ex.getRequestHeaders().getFirst("X-Forwarded-Host")).getBytes());
                case "/big" -> {
                    int mb = Integer.parseInt(ex.getRequestURI().getQuery().substring(3));
                    ex.sendResponseHeaders(200, 0); // chunked
                    byte[] chunk = new byte[1024 * 1024];
                    for (int i = 0; i < chunk.length; i++) chunk[i] = (byte) i;
                    try (OutputStream out = ex.getResponseBody()) {
                        for (int i = 0; i < mb; i++) out.write(chunk);
                    }
                }
                case "/slow" -> {
                    slowArrived.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    send(ex, 200, "slow done".getBytes());
                }
                default -> send(ex, 200, name.getBytes(StandardCharsets.UTF_8));
            }
        }

        private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
            ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }

        @Override
        public void close() {
            release.countDown();
            server.stop(0);
        }
    }

    /** A raw server on its own thread; subclasses say what to do with each connection. */
    abstract static class Raw implements AutoCloseable {
        final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        final AtomicInteger requests = new AtomicInteger();

        Raw() throws IOException {
            Thread t = new Thread(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        Thread c = new Thread(() -> {
                            try (s) {
                                serve(s);
                            } catch (IOException ignored) {
                                // the test's business
                            }
                        }, "raw-conn");
                        c.setDaemon(true);
                        c.start();
                    } catch (IOException closed) {
                        return;
                    }
                }
            }, "raw");
            t.setDaemon(true);
            t.start();
        }

        int port() {
            return server.getLocalPort();
        }

        abstract void serve(Socket s) throws IOException;

        /** Reads up to the blank line that ends a request head. */
        static String head(InputStream in) throws IOException {
            StringBuilder b = new StringBuilder();
            int c;
            while ((c = in.read()) != -1) {
                b.append((char) c);
                if (b.length() >= 4 && b.substring(b.length() - 4).equals("\r\n\r\n")) return b.toString();
            }
            return b.length() == 0 ? null : b.toString();
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    static final class Mute extends Raw {
        Mute() throws IOException {}

        @Override
        void serve(Socket s) throws IOException {
            if (head(s.getInputStream()) != null) requests.incrementAndGet();
        }
    }

    static final class Hung extends Raw {
        private final boolean partial;
        private final List<Socket> held = new java.util.concurrent.CopyOnWriteArrayList<>();

        Hung(boolean partial) throws IOException {
            this.partial = partial;
        }

        @Override
        void serve(Socket s) throws IOException {
            held.add(s);
            InputStream in = s.getInputStream();
            while (head(in) != null) {
                requests.incrementAndGet();
                if (partial) {
                    OutputStream out = s.getOutputStream();
                    out.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                }
            } // until the front closes the connection
        }

        @Override
        public void close() throws IOException {
            super.close();
            for (Socket s : held) s.close();
        }
    }

    static final class Upgrader extends Raw {
        Upgrader() throws IOException {}

        @Override
        void serve(Socket s) throws IOException {
            InputStream in = s.getInputStream();
            String head = head(in);
            if (head == null) return;
            requests.incrementAndGet();
            OutputStream out = s.getOutputStream();
            out.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            byte[] buf = new byte[4096];
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
                out.flush();
            }
        }
    }
}
