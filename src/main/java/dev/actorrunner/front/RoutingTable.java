package dev.actorrunner.front;

import java.util.ArrayList;
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
