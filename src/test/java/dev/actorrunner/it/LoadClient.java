package dev.actorrunner.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.actorrunner.fixtures.HttpGet;
import dev.actorrunner.fixtures.Reaper;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Steady HTTP/1.1 load on the runner's public port from a few threads, each on its own connection.
 * With {@code keepAlive} a thread reuses its connection until the server says
 * {@code Connection: close}, as browsers and wrk do; without, every request opens a new one.
 * Every request that does not end in a 200 is recorded with the time it started.
 */
final class LoadClient implements AutoCloseable {
    record Failure(long startedNanos, String what) {}

    final AtomicLong ok = new AtomicLong();
    final List<Failure> failures = new CopyOnWriteArrayList<>();
    final Set<String> answeredBy = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private final int port;
    private final boolean keepAlive;

    /**
     * Three rolling reloads (generations 2 to 4) of {@code r}'s two workers under 16 kept-alive
     * connections: every request must be answered 200, and all four generations must have served.
     * The load is closed by {@code reaper} before the runner, even when an assertion fails.
     */
    static LoadClient throughThreeReloads(RunnerProcess r, Reaper reaper, Duration timeout) throws Exception {
        r.awaitInRotation(2, timeout);
        LoadClient load = reaper.closeLater(new LoadClient(r.publicPort(timeout), 16, true));
        r.await(() -> load.ok.get() > 200, timeout, "load to flow");
        for (int generation = 2; generation <= 4; generation++) {
            String done = "reload " + generation + " completed";
            r.signal("HUP");
            r.awaitLine(l -> l.contains(done), timeout, done);
        }
        // The last new worker joins with no connection: it gets one when a client reconnects (the
        // demo ends a kept-alive connection every 100 requests), which may take more than a few
        // hundred requests. Wait for it rather than for a count.
        r.await(() -> load.answeredBy.size() >= 8, timeout, "all 8 workers of the 4 generations to serve");
        load.close();
        assertEquals(List.of(), load.failures, "every request answered 200");
        return load;
    }

    LoadClient(int port, int connections, boolean keepAlive) {
        this.port = port;
        this.keepAlive = keepAlive;
        for (int i = 0; i < connections; i++) {
            Thread t = new Thread(this::run, "load-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    private void run() {
        Socket socket = null;
        while (running.get()) {
            long started = System.nanoTime();
            try {
                if (socket == null) {
                    socket = new Socket();
                    socket.setTcpNoDelay(true);
                    socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
                    socket.setSoTimeout(10_000);
                }
                boolean keep = exchange(socket);
                ok.incrementAndGet();
                if (!keep) {
                    socket.close();
                    socket = null;
                }
            } catch (IOException e) {
                failures.add(new Failure(started, e.toString()));
                HttpGet.closeQuietly(socket);
                socket = null;
            }
        }
        HttpGet.closeQuietly(socket);
    }

    /** One GET; true when the connection may be reused. */
    private boolean exchange(Socket s) throws IOException {
        HttpGet.Answer answer = HttpGet.exchange(s, keepAlive);
        answeredBy.add(answer.body());
        return answer.reusable();
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        for (Thread t : threads) t.join(15_000);
    }
}
