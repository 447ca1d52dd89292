package dev.actorrunner.front;

import io.netty.channel.Channel;
import io.netty.util.concurrent.FastThreadLocal;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * Kept-alive connections to the workers, idle between two requests (http mode, and auto mode's
 * HTTP/1.x connections). One pool per event loop, so that a connection is only ever used on the
 * loop it belongs to and no lock is needed: every method must be called on the loop whose
 * connections it touches.
 */
final class WorkerConnections {
    /**
     * A request that must not be replayed (a POST) only takes a connection idle for less than
     * this: an app closes idle connections after its keep-alive timeout (5 s for the demo, 20-60 s
     * for Tomcat), and a request written just as that close happens is lost without a retry.
     */
    static final long FRESH_NANOS = 1_000_000_000L;

    private record Idle(Channel channel, long since) {}

    private final FastThreadLocal<Map<Backend, ArrayDeque<Idle>>> pools = new FastThreadLocal<>() {
        @Override
        protected Map<Backend, ArrayDeque<Idle>> initialValue() {
            return new HashMap<>();
        }
    };

    /** A live idle connection to {@code b}, most recently used first, or null. */
    Channel poll(Backend b, boolean freshOnly) {
        ArrayDeque<Idle> idle = pools.get().get(b);
        if (idle == null) return null;
        long now = System.nanoTime();
        Idle i;
        while ((i = idle.pollFirst()) != null) {
            if (!i.channel().isActive()) continue;
            if (freshOnly && now - i.since() > FRESH_NANOS) {
                idle.addFirst(i); // older ones stay for replayable requests
                return null;
            }
            return i.channel();
        }
        return null;
    }

    void offer(Backend b, Channel ch) {
        pools.get().computeIfAbsent(b, k -> new ArrayDeque<>()).addFirst(new Idle(ch, System.nanoTime()));
    }

    /** Drops a connection that closed while idle. */
    void remove(Backend b, Channel ch) {
        ArrayDeque<Idle> idle = pools.get().get(b);
        if (idle != null) idle.removeIf(i -> i.channel() == ch);
    }

    /** Closes the idle connections to a worker that leaves rotation or is gone. */
    void closeAll(Backend b) {
        ArrayDeque<Idle> idle = pools.get().remove(b);
        if (idle == null) return;
        for (Iterator<Idle> it = idle.iterator(); it.hasNext(); ) it.next().channel().close();
    }
}
