package dev.actorrunner.probe;

import dev.actorrunner.config.RunnerSettings.Warmup;
import dev.actorrunner.process.WorkerProcess;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Warm-up: after a new worker passes its readiness check, and before it is reported ready (so
 * before it enters rotation), the app's own endpoint is called {@code count} times on its private
 * port, {@code concurrency} at a time, so its JIT and lazy initialisation run before a client
 * waits on them. Only the outcome is logged: how many, how long, how many failed. A warm-up with
 * a failed request, or not done within its deadline, counts as a failed readiness check: the
 * worker is checked (and warmed) again, and killed at ready-timeout.
 *
 * <p>Each request is {@code Connection: close} and its whole response is read, so the app does
 * all of its work; the blocking I/O runs on the probes' pool, never on an actor's thread.
 */
final class Warmer {
    private static final Logger log = LoggerFactory.getLogger(Warmer.class);

    /** What a warm-up came to; {@code failed} counts the requests not sent in time too. */
    record Outcome(int count, int failed, Duration took, Optional<String> firstFailure) {
        boolean passed() {
            return failed == 0;
        }
    }

    private Warmer() {}

    static ReadinessProbe warmed(ReadinessProbe ready, Warmup warmup, Executor io) {
        if (!warmup.on()) return ready;
        return process -> ready.check(process).thenCompose(ok -> {
            if (!ok) return CompletableFuture.completedFuture(false);
            return run(process.port(), warmup, io).thenApply(o -> report(process, warmup, o));
        });
    }

    /**
     * Workers whose last warm-up failed, with what it met: a warm-up that keeps failing the same
     * way is said once, not at every readiness check until ready-timeout. A few entries at most.
     */
    private static final Map<Long, String> FAILING = new ConcurrentHashMap<>();

    private static boolean report(WorkerProcess process, Warmup warmup, Outcome o) {
        String what = o.count() + " x " + warmup.request().orElseThrow() + " (" + warmup.concurrency() + " at a time)";
        if (o.passed()) {
            FAILING.remove(process.pid());
            log.info("worker pid {} on port {} warmed up: {} in {}", process.pid(), process.port(), what,
                    seconds(o.took()));
            return true;
        }
        String first = o.firstFailure().orElse("?");
        if (FAILING.size() > 100) FAILING.clear();
        if (!first.equals(FAILING.put(process.pid(), first))) {
            log.warn("worker pid {} on port {}: warm-up failed, {} of {} in {}, first: {}; not ready yet (said again only"
                    + " if it fails otherwise)", process.pid(), process.port(), o.failed(), what, seconds(o.took()), first);
        }
        return false;
    }

    /** Sends the warm-up to 127.0.0.1:port; completes (on {@code io}) once every request ended or the deadline passed. */
    static CompletionStage<Outcome> run(int port, Warmup warmup, Executor io) {
        long start = System.nanoTime();
        long deadline = start + warmup.deadline().toNanos();
        Warmup.Request request = warmup.request().orElseThrow();
        AtomicInteger next = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        AtomicReference<String> first = new AtomicReference<>();
        List<CompletableFuture<Void>> lanes = new ArrayList<>(warmup.concurrency());
        for (int i = 0; i < warmup.concurrency(); i++) {
            lanes.add(CompletableFuture.runAsync(() -> {
                while (next.getAndIncrement() < warmup.count()) {
                    long left = deadline - System.nanoTime();
                    Optional<String> problem = left <= 0
                            ? Optional.of("not sent within the deadline of " + seconds(warmup.deadline()))
                            : exchange(port, request, Duration.ofNanos(left));
                    problem.ifPresent(p -> {
                        failed.incrementAndGet();
                        first.compareAndSet(null, p);
                    });
                }
            }, io));
        }
        return CompletableFuture.allOf(lanes.toArray(CompletableFuture[]::new)).handle((v, e) -> {
            if (e != null) {
                failed.incrementAndGet();
                first.compareAndSet(null, e.toString());
            }
            return new Outcome(warmup.count(), failed.get(), Duration.ofNanos(System.nanoTime() - start),
                    Optional.ofNullable(first.get()));
        });
    }

    /** One request, its whole response read; empty if it answered 2xx within {@code timeout}, else why not. */
    static Optional<String> exchange(int port, Warmup.Request request, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Socket socket = TcpCheck.open(new Socket(), port, min(timeout, Probes.IO_TIMEOUT))) {
            if (socket == null) return Optional.of("connection refused");
            socket.setSoTimeout((int) Math.max(1, timeout.toMillis()));
            OutputStream out = socket.getOutputStream();
            out.write((request.method() + " " + request.path() + " HTTP/1.1\r\n"
                    + "Host: 127.0.0.1:" + port + "\r\n"
                    + "User-Agent: actor-runner-warmup\r\n"
                    + "Accept: */*\r\n"
                    + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = new BufferedInputStream(socket.getInputStream(), 8192);
            String status = HttpCheck.statusLine(in);
            byte[] rest = new byte[8192];
            while (in.read(rest) >= 0) {
                if (System.nanoTime() > deadline) return Optional.of("response not over within " + seconds(timeout));
            }
            return HttpCheck.problem(status);
        } catch (java.net.SocketTimeoutException e) {
            return Optional.of("no response within " + seconds(timeout));
        } catch (IOException e) {
            return Optional.of(e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static String seconds(Duration d) {
        return Probes.seconds(d);
    }
}
