package dev.actorrunner.front;

import io.netty.channel.Channel;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A client connection (pinned: tcp mode, auto mode's other protocols) or request (http mode, auto
 * mode's HTTP/1.x) that no worker could take: it waits for
 * the next routing table, up to queue-timeout. Waiting for a new table, not just any table: the
 * same table again would retry the workers that just refused, in a loop on the event loop. All
 * but {@link #wake()} run on the client channel's event loop.
 */
final class Waiting implements Rotation.Parked {
    private final Rotation rotation;
    private final Channel client;
    private final Runnable onNewTable;
    private final Runnable onTimeout;
    private boolean waiting;
    private RoutingTable parkedOn;
    private ScheduledFuture<?> timer;

    /**
     * @param onNewTable runs when a table with workers replaces the one waited on
     * @param onTimeout  runs when queue-timeout passes first
     */
    Waiting(Rotation rotation, Channel client, Runnable onNewTable, Runnable onTimeout) {
        this.rotation = rotation;
        this.client = client;
        this.onNewTable = onNewTable;
        this.onTimeout = onTimeout;
    }

    /** No worker of {@code table} can take the client: wait for the next one. */
    void park(RoutingTable table) {
        if (!waiting) {
            waiting = true;
            long ms = rotation.settings().queueTimeout().toMillis();
            timer = client.eventLoop().schedule(this::timedOut, ms, TimeUnit.MILLISECONDS);
        }
        parkedOn = table;
        rotation.park(this);
    }

    /** The client went away: nothing to wake. */
    void cancel() {
        waiting = false;
    }

    @Override
    public RoutingTable parkedOn() {
        return parkedOn;
    }

    /** A new table was published; called on any thread. */
    @Override
    public void wake() {
        client.eventLoop().execute(() -> {
            if (!waiting || !client.isActive()) return;
            RoutingTable table = rotation.table();
            if (table == parkedOn || table.isEmpty()) {
                rotation.park(this);
                return;
            }
            waiting = false;
            timer.cancel(false);
            onNewTable.run();
        });
    }

    private void timedOut() {
        if (!waiting) return;
        waiting = false;
        onTimeout.run();
    }
}
