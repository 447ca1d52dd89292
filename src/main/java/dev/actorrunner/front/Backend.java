package dev.actorrunner.front;

import io.netty.channel.Channel;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * One worker as the front sees it: its port and its count of open connections. The count is
 * taken when a connection is routed to it and given back when the connection to the worker closes
 * (or its connect fails), exactly once each, so it is exact whatever way a connection ends.
 */
final class Backend {
    final int workerId;
    final int port;
    private final AtomicInteger open = new AtomicInteger();
    private final LongAdder routed = new LongAdder();
    private volatile boolean draining;
    private final CompletableFuture<Integer> idle = new CompletableFuture<>();
    private volatile int openAtDrain;
    /** Requests (or connects) that failed in a row: passive health. */
    private final AtomicInteger failedInRow = new AtomicInteger();
    /** http mode, auto mode's HTTP/1.x: the connections to it, in use or idle (per connection, not per request). */
    final Set<Channel> connections = ConcurrentHashMap.newKeySet();
    /** When it entered rotation (System.nanoTime). */
    private final long admittedAt;
    /** When its slow-start ramp began; 0 for none, or once the ramp is over. */
    private volatile long rampFrom;

    Backend(int workerId, int port) {
        this(workerId, port, System.nanoTime(), false);
    }

    /** A worker entering rotation at {@code admittedAt}; {@code ramps}: its share ramps up from then (see {@link SlowStart}). */
    Backend(int workerId, int port, long admittedAt, boolean ramps) {
        this.workerId = workerId;
        this.port = port;
        this.admittedAt = admittedAt;
        this.rampFrom = ramps ? admittedAt : 0;
    }

    long admittedAt() {
        return admittedAt;
    }

    /** True while it may still be ramping up (cheap: one volatile read). */
    boolean ramping() {
        return rampFrom != 0;
    }

    /**
     * Its slow-start weight at {@code now}: below 1 while it ramps up over {@code window}, then 1
     * for good (the ramp is not taken up again if the window later grows).
     */
    double weight(long now, long window) {
        long from = rampFrom;
        if (from == 0) return 1.0;
        double w = SlowStart.weight(now - from, window);
        if (w >= 1.0) rampFrom = 0;
        return w;
    }

    int open() {
        return open.get();
    }

    /** Connections (http: requests) counted by {@link #tryAcquire()} so far, for metrics. */
    long routed() {
        return routed.sum();
    }

    /**
     * Counts a new connection, unless the backend is draining. The increment comes before the
     * draining check and {@link #drain()} sets the flag before it checks the count, so either the
     * router sees the drain and backs off, or the drain sees the connection and waits for it.
     */
    boolean tryAcquire() {
        open.incrementAndGet();
        if (draining) {
            release();
            return false;
        }
        routed.increment();
        return true;
    }

    void release() {
        if (open.decrementAndGet() == 0 && draining) idle.complete(openAtDrain);
    }

    /** Completes with the connections open at the start once none is left. */
    CompletableFuture<Integer> drain() {
        if (!draining) {
            openAtDrain = open.get();
            draining = true;
            if (open.get() == 0) idle.complete(openAtDrain);
        }
        return idle;
    }

    boolean draining() {
        return draining;
    }

    /** A request got no response in time, or a connect failed; the count of such failures in a row. */
    int failed() {
        return failedInRow.incrementAndGet();
    }

    /** It answered: a run of failures is over. Cheap when there was none (a read, not a write). */
    void answered() {
        if (failedInRow.get() != 0) failedInRow.set(0);
    }
}
