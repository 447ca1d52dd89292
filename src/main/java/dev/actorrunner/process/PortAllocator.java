package dev.actorrunner.process;

import dev.actorrunner.config.RunnerSettings.PortRange;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;

/**
 * Hands out private loopback ports from a range. It rotates (the next search starts after the
 * last port given) so that a port a worker has just left, perhaps with connections in TIME_WAIT
 * or a straggling grandchild still holding it, is the last one to be reused. Thread-safe.
 */
final class PortAllocator {

    // 127.0.0.1 exactly: getLoopbackAddress() may answer ::1 when IPv6 is preferred.
    private static final InetSocketAddress ANY_PORT = new InetSocketAddress("127.0.0.1", 0);

    private final PortRange range;
    private final Set<Integer> held = new HashSet<>();
    private int next;

    PortAllocator(PortRange range) {
        this.range = range;
        this.next = range.from();
    }

    /** A port no live worker of ours holds and nothing else is bound to right now. */
    synchronized int allocate() {
        for (int i = 0; i < range.size(); i++) {
            int port = next;
            next = port == range.to() ? range.from() : port + 1;
            if (!held.contains(port) && isFree(port)) {
                held.add(port);
                return port;
            }
        }
        throw new LaunchException("no free port in worker port range " + range.from() + "-"
                + range.to(), null);
    }

    synchronized void release(int port) {
        held.remove(port);
    }

    /**
     * Binds and closes at once. Another process can still take the port before the worker binds
     * it; the worker then fails to start and is replaced, which the supervisor handles anyway.
     * SO_REUSEADDR (Java's default for ServerSocket on Linux) matches what servers do, so a port
     * whose old connections linger in TIME_WAIT counts as free, as it is for the app.
     */
    static boolean isFree(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(ANY_PORT.getAddress(), port), 1);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
