package dev.actorrunner.front;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An immutable snapshot of the workers in rotation. The front reads the current one on every
 * connection without a lock or a message; the Master replaces it on every change.
 */
final class RoutingTable {
    static final RoutingTable EMPTY = new RoutingTable(List.of());

    private final Backend[] backends;
    private final AtomicInteger next = new AtomicInteger();

    RoutingTable(List<Backend> backends) {
        this.backends = backends.toArray(new Backend[0]);
    }

    boolean isEmpty() {
        return backends.length == 0;
    }

    int size() {
        return backends.length;
    }

    /**
     * Least open connections, round robin among the ties (the scan starts one further each time),
     * skipping the workers in {@code tried} (those that refused this connection). Null if none is left.
     */
    Backend pick(List<Backend> tried) {
        int n = backends.length;
        if (n == 0) return null;
        int start = Math.floorMod(next.getAndIncrement(), n);
        Backend best = null;
        int bestOpen = Integer.MAX_VALUE;
        for (int i = 0; i < n; i++) {
            Backend b = backends[(start + i) % n];
            if (b.draining() || (!tried.isEmpty() && tried.contains(b))) continue;
            int open = b.open();
            if (open < bestOpen) {
                best = b;
                bestOpen = open;
            }
        }
        return best;
    }
}
