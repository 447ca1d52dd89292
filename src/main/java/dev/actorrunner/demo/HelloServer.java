package dev.actorrunner.demo;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A worker for the demo: {@code GET /} answers {@code hello from pid N}, {@code /health} answers
 * {@code ok}. Listens on 127.0.0.1:$PORT (8080 if unset). Try it with
 * {@code actor-runner -- java -cp actor-runner.jar dev.actorrunner.demo.HelloServer}.
 *
 * <p>On SIGTERM it drains: every response from then on carries {@code Connection: close} so
 * kept-alive clients leave, requests already running may finish (up to 10 s), then it stops and
 * exits 0 (1 if the drain timed out).
 *
 * <p>Like Tomcat, it ends a kept-alive connection on its own after 100 requests (with
 * {@code Connection: close}) and closes one idle for 5 s. A runner draining this worker in TCP
 * mode therefore sees its connections go within moments, even under a steady keep-alive load,
 * and never has to wait for drain-timeout.
 */
public final class HelloServer {

    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(10);
    /** Tomcat's maxKeepAliveRequests. */
    private static final int MAX_REQUESTS_PER_CONNECTION = 100;
    /** Connections counted at once; beyond that the counts start over (idle ones are forgotten). */
    private static final int MAX_TRACKED_CONNECTIONS = 10_000;

    private final long pid = ProcessHandle.current().pid();
    private final int port;
    private volatile HttpServer server;
    private final ExecutorService threads = Executors.newFixedThreadPool(4);
    private final Object lock = new Object();
    private int inFlight; // guarded by lock
    private volatile boolean draining;
    private final Map<InetSocketAddress, AtomicInteger> requestsPerConnection = new ConcurrentHashMap<>();

    private HelloServer(int port) {
        this.port = port;
    }

    private void start() throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        s.setExecutor(threads);
        s.createContext("/", this::handle);
        server = s;
        s.start();
    }

    public static void main(String[] args) throws IOException {
        // Without it the JDK server meets Nagle's algorithm and delayed ACKs: ~650 req/s under
        // keep-alive instead of tens of thousands. Read once, when the first server is created.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        System.setProperty("sun.net.httpserver.idleInterval", "5"); // seconds; the JDK's default is 30
        int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8080"));
        HelloServer hello = new HelloServer(port);
        // The hook goes in before the port is bound: a runner's TCP probe sees a bound port as
        // ready and may send SIGTERM at once, which must find the drain in place, not exit 143.
        Runtime.getRuntime().addShutdownHook(new Thread(hello::drainAndStop, "drain"));
        hello.start();
        System.out.println("listening on 127.0.0.1:" + port + " (pid " + hello.pid + ")");
    }

    private void handle(HttpExchange exchange) throws IOException {
        synchronized (lock) {
            inFlight++;
        }
        try {
            String path = exchange.getRequestURI().getPath();
            switch (path) {
                case "/" -> respond(exchange, 200, "hello from pid " + pid + "\n");
                case "/health" -> respond(exchange, 200, "ok\n");
                default -> respond(exchange, 404, "not found\n");
            }
        } finally {
            synchronized (lock) {
                inFlight--;
                lock.notifyAll();
            }
        }
    }

    private void respond(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        // The JDK server closes the connection after a response that says so.
        if (draining || lastOnItsConnection(exchange)) exchange.getResponseHeaders().set("Connection", "close");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** The 100th request of a connection; the client address (its port) tells connections apart. */
    private boolean lastOnItsConnection(HttpExchange exchange) {
        if (requestsPerConnection.size() > MAX_TRACKED_CONNECTIONS) requestsPerConnection.clear();
        InetSocketAddress client = exchange.getRemoteAddress();
        int n = requestsPerConnection.computeIfAbsent(client, c -> new AtomicInteger()).incrementAndGet();
        if (n < MAX_REQUESTS_PER_CONNECTION) return false;
        requestsPerConnection.remove(client);
        return true;
    }

    /** The shutdown hook: runs on SIGTERM (and SIGINT), and must not call exit (a hook that does hangs the JVM). */
    private void drainAndStop() {
        draining = true;
        boolean drained = awaitIdle();
        HttpServer s = server;
        if (s != null) s.stop(1); // closes the listener and idle connections; gives late arrivals 1 s
        threads.shutdown();
        System.out.println("stopped (pid " + pid + ")" + (drained ? "" : ": requests still running after "
                + DRAIN_TIMEOUT.toSeconds() + " s were cut off"));
        System.out.flush();
        // Without halt the JVM reports 143 (killed by SIGTERM); 0 says "drained cleanly". halt is
        // the only way to choose the code from a hook; this app registers no other hook to cut short.
        Runtime.getRuntime().halt(drained ? 0 : 1);
    }

    private boolean awaitIdle() {
        long deadline = System.nanoTime() + DRAIN_TIMEOUT.toNanos();
        synchronized (lock) {
            while (inFlight > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) return false;
                try {
                    lock.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    return false;
                }
            }
            return true;
        }
    }
}
