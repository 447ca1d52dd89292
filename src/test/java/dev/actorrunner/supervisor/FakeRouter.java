package dev.actorrunner.supervisor;

import dev.actorrunner.front.Router;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import java.util.function.IntConsumer;

/** Records the routing tables the Master publishes; the test decides when a drain is over. */
public final class FakeRouter implements Router {
    public final List<List<Integer>> tables = new CopyOnWriteArrayList<>();
    public final Map<Integer, CompletableFuture<Integer>> drains = new ConcurrentHashMap<>();
    public volatile boolean drainAtOnce = true;
    public volatile boolean accepting = true;
    public volatile boolean closed;
    public volatile IntConsumer connectFailed;
    /** Workers whose waiting requests the Master told the front to give up on. */
    public final List<Integer> abandoned = new CopyOnWriteArrayList<>();
    /** Where the front would report a worker whose requests keep failing (passive health). */
    public volatile BiConsumer<Integer, String> unresponsive;
    /** Slow start's window, as the Master set it. */
    public volatile java.time.Duration slowStart;
    /** Slow-start shares per worker, as the test sets them (100 when absent). */
    public final Map<Integer, Integer> shares = new ConcurrentHashMap<>();
    /** Open connections per worker, as the test sets them. */
    public final Map<Integer, Integer> connections = new ConcurrentHashMap<>();

    /** Worker ids of the last table published. */
    public List<Integer> current() {
        return tables.isEmpty() ? List.of() : tables.get(tables.size() - 1);
    }

    public CompletableFuture<Integer> drainOf(int workerId) {
        return drains.computeIfAbsent(workerId, id -> new CompletableFuture<>());
    }

    @Override
    public void publish(List<Route> routes) {
        tables.add(routes.stream().map(Route::workerId).toList());
    }

    @Override
    public CompletionStage<Integer> drain(int workerId) {
        CompletableFuture<Integer> f = drainOf(workerId);
        if (drainAtOnce) f.complete(0);
        return f;
    }

    @Override public void forget(int workerId) {}
    @Override public int openConnections(int workerId) { return connections.getOrDefault(workerId, 0); }
    @Override public void onConnectFailed(IntConsumer listener) { connectFailed = listener; }
    @Override public void abandon(int workerId) { abandoned.add(workerId); }
    @Override public void onUnresponsive(BiConsumer<Integer, String> listener) { unresponsive = listener; }
    @Override public void slowStart(java.time.Duration window) { slowStart = window; }
    @Override public int sharePercent(int workerId) { return shares.getOrDefault(workerId, 100); }
    @Override public void stopAccepting() { accepting = false; }
    @Override public void close() { closed = true; }
}
