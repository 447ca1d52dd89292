package dev.actorrunner.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.actorrunner.config.RunnerSettings.PortRange;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

class PortAllocatorTest {

    /** A run of {@code n} consecutive free ports in 21000-21999 (this class's part of the range). */
    private static int freeRun(int n) {
        outer:
        for (int start = 21000; start + n <= 22000; start += n) {
            for (int p = start; p < start + n; p++) {
                if (!PortAllocator.isFree(p)) continue outer;
            }
            return start;
        }
        throw new IllegalStateException("no " + n + " free ports in 21000-21999");
    }

    @Test
    void skipsAPortThatSomethingElseListensOn() throws IOException {
        int from = freeRun(3);
        PortAllocator ports = new PortAllocator(new PortRange(from, from + 2));
        try (ServerSocket busy = new ServerSocket()) {
            busy.bind(new InetSocketAddress("127.0.0.1", from));
            assertEquals(from + 1, ports.allocate());
        }
    }

    @Test
    void rotatesSoAFreedPortIsReusedLast() {
        int from = freeRun(3);
        PortAllocator ports = new PortAllocator(new PortRange(from, from + 2));
        int first = ports.allocate();
        ports.release(first);
        assertEquals(from + 1, ports.allocate());
        assertEquals(from + 2, ports.allocate());
        assertEquals(from, ports.allocate()); // wrapped around to the one released
    }

    @Test
    void neverHandsOutAPortStillHeld() {
        int from = freeRun(2);
        PortAllocator ports = new PortAllocator(new PortRange(from, from + 1));
        assertEquals(from, ports.allocate());
        assertEquals(from + 1, ports.allocate());
        LaunchException full = assertThrows(LaunchException.class, ports::allocate);
        assertEquals("no free port in worker port range " + from + "-" + (from + 1), full.getMessage());
        ports.release(from);
        assertEquals(from, ports.allocate());
    }
}
