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

    /**
     * A worker that frames requests itself (Content-Length or chunked) and records each one it saw,
     * complete or cut short by the close of its connection; answers each complete one with 200
     * (its request line and body size), {@code POST /early} as soon as its head is read.
     */
    Recorder recorder() throws IOException {
        Recorder r = new Recorder();
        open.add(r);
        return r;
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

    static final class Recorder extends Raw {
        /** One request as the worker read it: its head, its body (de-chunked), its trailers. */
        record Seen(String head, byte[] body, String trailers, boolean complete) {
            String requestLine() {
                return head.substring(0, head.indexOf("\r\n"));
            }

            @Override
            public String toString() {
                return (complete ? "complete " : "INCOMPLETE ") + visible(requestLine())
                        + " [" + visible(head.substring(head.indexOf("\r\n") + 2).strip().replace("\r\n", "; ")) + "]"
                        + " body=" + visible(new String(body, StandardCharsets.ISO_8859_1))
                        + (trailers.isEmpty() ? "" : " trailers=[" + visible(trailers.strip().replace("\r\n", "; ")) + "]");
            }

            /** Control characters as \\xNN, so that a failure message shows what was on the wire. */
            static String visible(String s) {
                StringBuilder b = new StringBuilder(s.length());
                for (char c : s.toCharArray()) {
                    b.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
                }
                return b.toString();
            }
        }

        final List<Seen> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        /** Connections that have read a request head and neither finished that request nor ended. */
        private final AtomicInteger midRequest = new AtomicInteger();

        Recorder() throws IOException {}

        List<Seen> complete() {
            return seen.stream().filter(Seen::complete).toList();
        }

        /**
         * True once no connection is left holding a request it has only part of: each one that got
         * a head has had the rest of it or its end. False if one still waits at {@code deadline}.
         */
        boolean awaitNoneMidRequest(java.time.Duration within) throws InterruptedException {
            long deadline = System.nanoTime() + within.toNanos();
            synchronized (this) {
                while (midRequest.get() > 0) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) return false;
                    java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
                }
            }
            return true;
        }

        /** True once {@code n} requests were seen, complete or not; false if fewer by {@code within}. */
        boolean awaitSeen(int n, java.time.Duration within) throws InterruptedException {
            long deadline = System.nanoTime() + within.toNanos();
            synchronized (this) {
                while (seen.size() < n) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) return false;
                    java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
                }
            }
            return true;
        }

        @Override
        void serve(Socket s) throws IOException {
            InputStream in = new java.io.BufferedInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            while (true) {
                String head = head(in);
                if (head == null) return;
                if (!head.endsWith("\r\n\r\n")) { // the connection ended inside the head
                    seen.add(new Seen(head + "\r\n", new byte[0], "", false));
                    moved(0);
                    return;
                }
                moved(+1);
                String line = head.substring(0, head.indexOf("\r\n"));
                boolean early = line.startsWith("POST /early ");
                if (early) answer(out, line + " early");
                java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
                StringBuilder trailers = new StringBuilder();
                boolean complete;
                try {
                    complete = body(head, in, body, trailers);
                } catch (IOException | RuntimeException e) {
                    complete = false;
                }
                seen.add(new Seen(head, body.toByteArray(), trailers.toString(), complete));
                moved(-1);
                if (!complete) return;
                requests.incrementAndGet();
                if (!early) answer(out, line + " body=" + body.size());
            }
        }

        private static void answer(OutputStream out, String text) throws IOException {
            byte[] answer = text.getBytes(StandardCharsets.ISO_8859_1);
            out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + answer.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(answer);
            out.flush();
        }

        private synchronized void moved(int by) {
            midRequest.addAndGet(by);
            notifyAll();
        }

        /** Reads the body {@code head} announces into {@code body}; false if the stream ends first. */
        private static boolean body(String head, InputStream in, java.io.ByteArrayOutputStream body,
                StringBuilder trailers) throws IOException {
            String lower = head.toLowerCase(java.util.Locale.ROOT);
            if (lower.contains("\r\ntransfer-encoding:") && lower.contains("chunked")) {
                while (true) {
                    String size = RawHttp.line(in);
                    if (size == null) return false;
                    int semi = size.indexOf(';');
                    int n = Integer.parseInt((semi < 0 ? size : size.substring(0, semi)).strip(), 16);
                    if (n == 0) break;
                    byte[] data = in.readNBytes(n);
                    body.write(data);
                    if (data.length < n || !"".equals(RawHttp.line(in))) return false;
                }
                while (true) {
                    String t = RawHttp.line(in);
                    if (t == null) return false;
                    if (t.isEmpty()) return true;
                    trailers.append(t).append("\r\n");
                }
            }
            int at = lower.indexOf("\r\ncontent-length:");
            if (at < 0) return true;
            int end = lower.indexOf("\r\n", at + 2);
            int n = Integer.parseInt(lower.substring(at + 17, end).strip());
            byte[] data = in.readNBytes(n);
            body.write(data);
            return data.length == n;
        }
    }
}
