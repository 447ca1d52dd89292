package dev.actorrunner.front;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.IntConsumer;

/**
 * What the Master needs of the front, free of Netty types so that protocol tests can use a fake.
 * Every method returns at once and may be called from any thread.
 */
public interface Router extends AutoCloseable {

    /** A ready worker's private address. */
    record Route(int workerId, int port) {}

    /** The workers in rotation from now on; new connections go only to these. */
    void publish(List<Route> routes);

    /**
     * Takes the worker out of rotation (if it still was) and completes once no connection to it
     * remains, with the number of connections it had when the drain began.
     */
    CompletionStage<Integer> drain(int workerId);

    /** The worker is gone: forget its counters. */
    void forget(int workerId);

    /** Open connections to the worker now (0 for one the router does not know). */
    int openConnections(int workerId);

    /** {@code listener} hears, on a front thread, of each worker that refused a connection. */
    void onConnectFailed(IntConsumer listener);

    /**
     * {@code listener} hears, on a front thread, of a worker in rotation whose requests failed
     * health-failures times in a row (no response within response-timeout, or no connect), with
     * what the last one met. Said once per run of failures.
     */
    default void onUnresponsive(java.util.function.BiConsumer<Integer, String> listener) {}

    /**
     * {@code workerId} left rotation unhealthy: what waits on it in vain is given up on now (http
     * mode, and auto mode's HTTP/1.x connections: requests without a byte of answer get 504).
     * Connections whose answer has begun, and pinned ones (tcp mode's, auto mode's other
     * protocols), are left to end with the worker.
     */
    default void abandon(int workerId) {}

    /**
     * Slow start from now on: a worker that enters rotation beside one that has served this long
     * gets a share of new traffic that ramps up over it. Zero: every worker gets its full share at once.
     */
    default void slowStart(java.time.Duration window) {}

    /** The share of new traffic, in percent, that slow start gives the worker now (100 when it does not ramp). */
    default int sharePercent(int workerId) {
        return 100;
    }

    /**
     * Stops accepting connections; those open stay until they close (StopAll drains them), and
     * HTTP clients are told to go with their next response ({@code Connection: close}).
     */
    void stopAccepting();

    /** Releases the port and the threads; open connections are cut. Idempotent. */
    @Override
    void close();

    /** No front (embedding without a public port, tests): every drain is immediate. */
    Router NONE = new Router() {
        @Override public void publish(List<Route> routes) {}
        @Override public CompletionStage<Integer> drain(int workerId) { return CompletableFuture.completedFuture(0); }
        @Override public void forget(int workerId) {}
        @Override public int openConnections(int workerId) { return 0; }
        @Override public void onConnectFailed(IntConsumer listener) {}
        @Override public void stopAccepting() {}
        @Override public void close() {}
    };
}
