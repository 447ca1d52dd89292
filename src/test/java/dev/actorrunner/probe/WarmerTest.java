package dev.actorrunner.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.actorrunner.config.RunnerSettings.Warmup;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The warm-up against a real local HTTP server: what it sends, how many at once, and when it fails. */
class WarmerTest {
    private final ExecutorService io = Executors.newCachedThreadPool();
    private HttpServer server;
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger mostAtOnce = new AtomicInteger();
    /** Requests to /flaky: every fifth answers 500. */
    private final AtomicInteger flaky = new AtomicInteger();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.setExecutor(Executors.newFixedThreadPool(8));
        server.createContext("/", exchange -> {
            requests.incrementAndGet();
            mostAtOnce.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            try {
                String path = exchange.getRequestURI().getPath();
                int status = path.equals("/warm") ? 200 : path.equals("/flaky") && flaky.incrementAndGet() % 5 == 0 ? 500
                        : path.equals("/flaky") ? 200 : 404;
                Thread.sleep(5); // long enough for lanes to overlap
                byte[] body = ("x".repeat(20_000)).getBytes();
                exchange.sendResponseHeaders(status, exchange.getRequestMethod().equals("HEAD") ? -1 : body.length);
                if (!exchange.getRequestMethod().equals("HEAD")) exchange.getResponseBody().write(body);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                inFlight.decrementAndGet();
                exchange.close();
            }
        });
        server.start();
    }

    @AfterEach
    void stop() throws InterruptedException {
        server.stop(0);
        ((ExecutorService) server.getExecutor()).shutdownNow();
        io.shutdownNow();
        assertTrue(io.awaitTermination(10, TimeUnit.SECONDS));
    }

    private Warmer.Outcome warm(String method, String path, int count, int concurrency, Duration deadline) throws Exception {
        Warmup w = new Warmup(Optional.of(new Warmup.Request(method, path)), count, concurrency, deadline);
        return Warmer.run(server.getAddress().getPort(), w, io).toCompletableFuture().get(60, TimeUnit.SECONDS);
    }

    @Test
    void sendsEveryRequestConcurrencyAtATimeAndPassesWhenAllAnswer2xx() throws Exception {
        Warmer.Outcome o = warm("GET", "/warm", 40, 4, Duration.ofSeconds(30));
        assertTrue(o.passed(), o.toString());
        assertEquals(40, requests.get(), "each request reached the app, whole responses read");
        assertTrue(mostAtOnce.get() <= 4, "never more than the concurrency at once: " + mostAtOnce);
        assertTrue(mostAtOnce.get() >= 2, "lanes overlap: " + mostAtOnce);
        assertTrue(warm("HEAD", "/warm", 3, 1, Duration.ofSeconds(30)).passed(), "HEAD too");
    }

    @Test
    void anyRequestThatFailsFailsTheWarmUpAndNamesTheFirstFailure() throws Exception {
        Warmer.Outcome flakyOutcome = warm("GET", "/flaky", 20, 2, Duration.ofSeconds(30));
        assertEquals(4, flakyOutcome.failed(), flakyOutcome.toString());
        assertEquals(Optional.of("HTTP 500"), flakyOutcome.firstFailure());
        Warmer.Outcome missing = warm("GET", "/missing", 5, 1, Duration.ofSeconds(30));
        assertEquals(5, missing.failed());
        assertEquals(Optional.of("HTTP 404"), missing.firstFailure());
    }

    @Test
    void aWarmUpThatCannotFinishWithinItsDeadlineFailsAtTheDeadline() throws Exception {
        // A listener that never accepts: connects succeed (the backlog), no answer ever comes.
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Warmup w = new Warmup(Optional.of(new Warmup.Request("GET", "/")), 10, 2, Duration.ofMillis(500));
            long start = System.nanoTime();
            Warmer.Outcome o = Warmer.run(silent.getLocalPort(), w, io).toCompletableFuture().get(30, TimeUnit.SECONDS);
            assertFalse(o.passed());
            assertEquals(10, o.failed(), "the two sent timed out, the others were never sent: " + o);
            assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofSeconds(10)) < 0, o.toString());
        }
    }

    @Test
    void aWorkerNotReadyYetIsNotWarmedUp() throws Exception {
        Warmup w = new Warmup(Optional.of(new Warmup.Request("GET", "/warm")), 10, 2, Duration.ofSeconds(5));
        ReadinessProbe notReady = p -> java.util.concurrent.CompletableFuture.completedFuture(false);
        assertFalse(Warmer.warmed(notReady, w, io).check(null).toCompletableFuture().get(5, TimeUnit.SECONDS));
        assertEquals(0, requests.get());
        ReadinessProbe ready = p -> java.util.concurrent.CompletableFuture.completedFuture(true);
        assertEquals(ready, Warmer.warmed(ready, Warmup.OFF, io), "off: the readiness check alone");
    }
}
