package dev.actorrunner.front;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;

/**
 * An immutable snapshot of the workers in rotation. The front reads the current one on every
 * connection without a lock or a message; the Master replaces it on every change.
 */
final class RoutingTable {
    static final RoutingTable EMPTY = new RoutingTable(List.of());

    private final Backend[] backends;
    private final AtomicInteger next = new AtomicInteger();
    private final long slowStart;
    private final LongSupplier clock;
    private final DoubleSupplier random;
    /** Whether a worker may still be ramping up: false once a pick found none, so the common case reads no clock. */
    private volatile boolean ramping;

    RoutingTable(List<Backend> backends) {
        this(backends, 0, System::nanoTime, () -> ThreadLocalRandom.current().nextDouble());
    }

    /**
     * @param slowStart the ramp of a worker that entered rotation beside warm ones, in nanoseconds (0: none)
     * @param clock     System.nanoTime, or a test's clock
     * @param random    uniform in [0, 1): whether a ramping worker is considered for a pick
     */
    RoutingTable(List<Backend> backends, long slowStart, LongSupplier clock, DoubleSupplier random) {
        this.backends = backends.toArray(new Backend[0]);
        this.slowStart = slowStart;
        this.clock = clock;
        this.random = random;
        this.ramping = slowStart > 0 && backends.stream().anyMatch(Backend::ramping);
    }

    /** The workers in it (those draining too, until the next table). */
    List<Backend> backends() {
        return List.of(backends);
    }

    boolean isEmpty() {
        return backends.length == 0;
    }

    int size() {
        return backends.length;
    }

    /**
     * Least open connections, round robin among the ties (the scan starts one further each time),
     * skipping the workers in {@code tried} (those that refused this connection). A worker that
     * ramps up ({@link SlowStart}) is considered with a chance equal to its weight; if that leaves
     * none, every worker is. Null if none is left.
     */
    Backend pick(List<Backend> tried) {
        int n = backends.length;
        if (n == 0) return null;
        int start = Math.floorMod(next.getAndIncrement(), n);
        if (ramping) {
            Backend b = pick(tried, start, true);
            if (b != null) return b;
        }
        return pick(tried, start, false);
    }

    private Backend pick(List<Backend> tried, int start, boolean weighted) {
        int n = backends.length;
        long now = weighted ? clock.getAsLong() : 0;
        boolean stillRamping = false;
        Backend best = null;
        int bestOpen = Integer.MAX_VALUE;
        for (int i = 0; i < n; i++) {
            Backend b = backends[(start + i) % n];
            if (b.draining() || (!tried.isEmpty() && tried.contains(b))) continue;
            if (weighted && b.ramping()) {
                double w = b.weight(now, slowStart);
                if (w < 1.0) {
                    stillRamping = true;
                    if (random.getAsDouble() >= w) continue;
                }
            }
            int open = b.open();
            if (open < bestOpen) {
                best = b;
                bestOpen = open;
            }
        }
        if (weighted && !stillRamping && tried.isEmpty()) ramping = false;
        return best;
    }

    /** The share, in percent, a worker's slow start gives it now: 100 when it does not ramp (or is unknown). */
    int sharePercent(Backend b) {
        return (int) Math.round(100 * b.weight(clock.getAsLong(), slowStart));
    }

    /**
     * Picks a worker and counts the client (connection or request) against it. A worker that
     * began draining between the pick and the count refuses it; then the next one is picked.
     * Null if no worker outside {@code tried} can take it.
     */
    Backend acquire(List<Backend> tried) {
        List<Backend> skip = tried;
        Backend b;
        while ((b = pick(skip)) != null && !b.tryAcquire()) skip = with(skip, b);
        return b;
    }

    /** {@code list} and {@code b}, as a new list (the lists here hold a few workers at most). */
    static List<Backend> with(List<Backend> list, Backend b) {
        List<Backend> copy = new ArrayList<>(list);
        copy.add(b);
        return copy;
    }
}
