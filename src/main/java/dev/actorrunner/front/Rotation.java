package dev.actorrunner.front;

import io.netty.channel.Channel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * The workers in rotation as the relays see them: the current {@link RoutingTable}, each worker's
 * {@link Backend} (its counts, its drain), the waiting room of connections and requests that no
 * worker could take, and the passive health count. The Master's side of it is {@link Router}'s
 * routing half, reached through {@link Front}, which owns the port.
 *
 * <p>Threads: the relays call it on their event loops, the Master on its own; the table is an
 * immutable snapshot swapped by {@link #publish}, the counts are atomics, and the Master hears only
 * of events (a refused connect, a drain finished, a worker whose requests keep failing).
 */
final class Rotation {
    private final FrontSettings settings;
    private final Traffic traffic;
    /** http and auto modes: closes the idle kept-alive connections to a worker, on every event loop. */
    private final Consumer<Backend> closeIdle;
    private final Map<Integer, Backend> backends = new ConcurrentHashMap<>();
    private final Queue<Parked> waiting = new ConcurrentLinkedQueue<>();
    private volatile RoutingTable table = RoutingTable.EMPTY;
    /** Slow start's window in nanoseconds (0: off); see {@link SlowStart}. */
    private volatile long slowStart;
    private volatile IntConsumer connectFailed = id -> {};
    private volatile BiConsumer<Integer, String> unresponsive = (id, why) -> {};
    /** Set once when the runner hands its clients over (an upgrade): every response from then on closes its connection. */
    private volatile boolean lastCall;

    Rotation(FrontSettings settings, Traffic traffic, Consumer<Backend> closeIdle) {
        this.settings = settings;
        this.traffic = traffic;
        this.closeIdle = closeIdle;
    }

    FrontSettings settings() {
        return settings;
    }

    Traffic traffic() {
        return traffic;
    }

    RoutingTable table() {
        return table;
    }

    /** Whether the runner is letting its clients go: see {@link Front#lastCall}. */
    boolean lastCall() {
        return lastCall;
    }

    void callLast() {
        lastCall = true;
    }

    // ---- the Master's side (through Front) ----

    /**
     * Publishes from the Master's thread only (one publisher, so the look at who is warm and the
     * admission of a new worker cannot interleave with another publish).
     */
    void publish(List<Router.Route> routes) {
        long now = System.nanoTime();
        long window = slowStart;
        RoutingTable before = table;
        List<Backend> list = new ArrayList<>(routes.size());
        for (Router.Route r : routes) {
            list.add(backends.computeIfAbsent(r.workerId(),
                    id -> new Backend(id, r.port(), now, SlowStart.ramps(before.backends(), now, window))));
        }
        RoutingTable next = new RoutingTable(list, window, System::nanoTime, () -> ThreadLocalRandom.current().nextDouble());
        table = next;
        if (!next.isEmpty()) wakeWaiting();
    }

    void slowStart(Duration window) {
        slowStart = window.toNanos();
    }

    int sharePercent(int workerId) {
        Backend b = backends.get(workerId);
        return b == null ? 100 : table.sharePercent(b);
    }

    CompletionStage<Integer> drain(int workerId) {
        Backend b = backends.get(workerId);
        if (b == null) return CompletableFuture.completedFuture(0);
        CompletableFuture<Integer> drained = b.drain();
        // http and auto modes: kept-alive connections to it that carry no request are closed at once.
        if (settings.mode().routesRequests()) closeIdle.accept(b);
        return drained;
    }

    void forget(int workerId) {
        backends.remove(workerId);
    }

    int openConnections(int workerId) {
        Backend b = backends.get(workerId);
        return b == null ? 0 : b.open();
    }

    long routedTo(int workerId) {
        Backend b = backends.get(workerId);
        return b == null ? 0 : b.routed();
    }

    void onConnectFailed(IntConsumer listener) {
        connectFailed = listener;
    }

    void onUnresponsive(BiConsumer<Integer, String> listener) {
        unresponsive = listener;
    }

    /**
     * http and auto modes: the requests waiting on an unhealthy worker are not left to
     * response-timeout: those with no byte of answer yet get 504 now, and go to no other worker
     * (see {@link HttpRelay#abandon}); its idle connections close. Each on its own event loop.
     */
    void abandon(int workerId) {
        Backend b = backends.get(workerId);
        if (b == null) return;
        for (Channel ch : b.connections) {
            ch.eventLoop().execute(() -> {
                HttpRelay.WorkerSide side = ch.pipeline().get(HttpRelay.WorkerSide.class);
                if (side != null) side.abandon(ch);
            });
        }
    }

    // ---- the relays' side ----

    /** A connection (tcp) or request (http) waiting for a table with a worker in it. */
    interface Parked {
        RoutingTable parkedOn();

        void wake();
    }

    void park(Parked relay) {
        waiting.add(relay);
        traffic.parked();
        // A table may have been published between the relay's look and this add: look again.
        RoutingTable now = table;
        if (now != relay.parkedOn() && !now.isEmpty()) wakeWaiting();
    }

    /** Connections waiting for a ready worker (for tests). */
    int waitingConnections() {
        return waiting.size();
    }

    private void wakeWaiting() {
        Parked r;
        while ((r = waiting.poll()) != null) r.wake();
    }

    void connectFailed(Backend b) {
        traffic.connectFailed();
        connectFailed.accept(b.workerId);
        requestFailed(b, "connection refused");
    }

    /**
     * Passive health: a request that got no response byte in time, or a connect that failed,
     * counts against its worker; at {@link FrontSettings.Passive#failures} in a row (a response in
     * between starts over) the runner hears of it, once per run, and checks the worker.
     */
    void requestFailed(Backend b, String what) {
        int limit = settings.passive().failures();
        if (limit > 0 && b.failed() == limit) {
            unresponsive.accept(b.workerId, limit + " request(s) in a row failed, last: " + what);
        }
    }

    /** An exchange stalled past response-timeout: answered 504, or cut. */
    void responseTimedOut() {
        traffic.responseTimedOut();
    }
}
