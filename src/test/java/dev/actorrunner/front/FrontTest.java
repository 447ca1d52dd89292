package dev.actorrunner.front;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actorrunner.front.Router.Route;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/** The front over real sockets: plain-socket echo servers stand in for workers. */
class FrontTest {
    private final Backends backends = new Backends();
    private final List<Socket> clients = new ArrayList<>();
    private Front front;

    @BeforeEach
    void bind() throws Exception {
        front = Front.bind(new FrontSettings("127.0.0.1", 0, 1, Duration.ofSeconds(5), Duration.ofSeconds(2)));
    }

    @AfterEach
    void close() throws IOException {
        for (Socket c : clients) c.close();
        front.close();
        backends.close();
    }

    private Socket connect() throws IOException {
        Socket s = new Socket();
        clients.add(s);
        s.connect(front.addresses().get(0), 2000);
        s.setSoTimeout(5000);
        return s;
    }

    private static String read(InputStream in, int bytes) throws IOException {
        return new String(in.readNBytes(bytes), StandardCharsets.UTF_8);
    }

    private static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("not within 10 s: " + what);
            Thread.onSpinWait();
            try {
                Thread.sleep(5); // poll interval of a condition wait
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    @Test
    void relaysBytesBothWaysAndSpreadsConnectionsByLeastOpen() throws Exception {
        Backends.Echo a = backends.start("a");
        Backends.Echo b = backends.start("b");
        front.publish(List.of(new Route(1, a.port()), new Route(2, b.port())));
        List<String> greetings = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Socket s = connect();
            greetings.add(read(s.getInputStream(), 2));
            s.getOutputStream().write("ping".getBytes());
            assertEquals("ping", read(s.getInputStream(), 4));
        }
        assertEquals(2, greetings.stream().filter("a:"::equals).count(), greetings.toString());
        assertEquals(2, greetings.stream().filter("b:"::equals).count(), greetings.toString());
        assertEquals(2, front.openConnections(1));
        assertEquals(2, front.openConnections(2));
    }

    @Test
    void refusedConnectIsRetriedOnAnotherWorkerAndReported() throws Exception {
        Backends.Echo live = backends.start("live");
        int dead;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            dead = s.getLocalPort();
        }
        Set<Integer> refused = ConcurrentHashMap.newKeySet();
        front.onConnectFailed(refused::add);
        front.publish(List.of(new Route(7, dead), new Route(8, live.port())));
        for (int i = 0; i < 6; i++) {
            assertEquals("live:", read(connect().getInputStream(), 5));
        }
        assertEquals(Set.of(7), refused);
        assertEquals(0, front.openConnections(7), "a refused connect gives its count back");
    }

    @Test
    void connectionAcceptedWithNoWorkerReadyWaitsForOne() throws Exception {
        Socket s = connect();
        s.getOutputStream().write("early".getBytes());
        await(() -> front.waitingConnections() == 1, "the connection to wait for a worker");
        Backends.Echo late = backends.start("late");
        front.publish(List.of(new Route(1, late.port())));
        assertEquals("late:early", read(s.getInputStream(), 10));
    }

    @Test
    void connectionWaitingLongerThanQueueTimeoutIsClosed() throws Exception {
        front.close();
        front = Front.bind(new FrontSettings("127.0.0.1", 0, 1, Duration.ofMillis(200), Duration.ofSeconds(2)));
        Socket s = connect();
        assertEquals(-1, s.getInputStream().read(), "closed, not reset, after queue-timeout");
    }

    @Test
    void drainEndsWhenTheLastConnectionClosesAndNewConnectionsGoElsewhere() throws Exception {
        Backends.Echo a = backends.start("a");
        Backends.Echo b = backends.start("b");
        front.publish(List.of(new Route(1, a.port())));
        Socket held = connect();
        assertEquals("a:", read(held.getInputStream(), 2));

        front.publish(List.of(new Route(2, b.port())));
        CompletableFuture<Integer> drained = front.drain(1).toCompletableFuture();
        assertFalse(drained.isDone(), "worker 1 still has a connection");
        assertEquals("b:", read(connect().getInputStream(), 2));
        held.getOutputStream().write("still served".getBytes());
        assertEquals("still served", read(held.getInputStream(), 12));

        held.close();
        assertEquals(1, drained.get(5, TimeUnit.SECONDS), "drained, with the count it had");
    }

    /** Repeated: data and FIN sent before the worker is connected was a race, once. */
    @RepeatedTest(30)
    void halfCloseTravelsBothWays() throws Exception {
        Backends.Echo a = backends.start("a");
        front.publish(List.of(new Route(1, a.port())));
        Socket s = connect();
        s.getOutputStream().write("last words".getBytes());
        s.shutdownOutput();
        // The worker sees our FIN, answers after it, then closes: all of it reaches us, then EOF.
        assertEquals("a:last words|bye from a", new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        await(() -> front.openConnections(1) == 0, "the pair closed");
    }

    @Test
    void slowReaderHoldsBackTheWorkerInsteadOfFillingTheRunner() throws Exception {
        AtomicLong written = new AtomicLong();
        byte[] chunk = new byte[64 * 1024];
        for (int i = 0; i < chunk.length; i++) chunk[i] = (byte) i;
        long total = 256L * 1024 * 1024;
        try (ServerSocket firehose = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            Thread writer = new Thread(() -> {
                try (Socket w = firehose.accept(); OutputStream out = w.getOutputStream()) {
                    while (written.get() < total) {
                        out.write(chunk);
                        written.addAndGet(chunk.length);
                    }
                } catch (IOException ignored) {
                    // the test closed it
                }
            }, "firehose");
            writer.setDaemon(true);
            writer.start();
            front.publish(List.of(new Route(1, firehose.getLocalPort())));
            Socket s = connect();
            InputStream in = s.getInputStream();
            assertEquals(0, in.read(), "the first byte: the pair is up");
            // Not reading: once the kernel buffers are full the worker's writes must stop.
            awaitStalled(written, "the worker's writes to stall");
            long stalledAt = written.get();
            assertTrue(stalledAt < 64L * 1024 * 1024,
                    "the runner buffered " + stalledAt / 1024 / 1024 + " MiB for a client that reads nothing");
            assertEquals(total, readInOrder(in, 1, total, chunk.length), "then everything arrives, in order");
        }
    }

    @Test
    void slowWorkerHoldsBackTheClientInsteadOfFillingTheRunner() throws Exception {
        AtomicLong written = new AtomicLong();
        byte[] chunk = new byte[64 * 1024];
        for (int i = 0; i < chunk.length; i++) chunk[i] = (byte) i;
        long total = 256L * 1024 * 1024;
        try (ServerSocket sink = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            front.publish(List.of(new Route(1, sink.getLocalPort())));
            Socket s = connect();
            Thread writer = new Thread(() -> {
                try (OutputStream out = s.getOutputStream()) {
                    while (written.get() < total) {
                        out.write(chunk);
                        written.addAndGet(chunk.length);
                    }
                } catch (IOException ignored) {
                    // the test closed it
                }
            }, "client-firehose");
            writer.setDaemon(true);
            writer.start();
            try (Socket w = sink.accept()) {
                // The worker reads nothing: once the kernel buffers are full the client's writes must stop.
                awaitStalled(written, "the client's writes to stall");
                long stalledAt = written.get();
                assertTrue(stalledAt < 64L * 1024 * 1024,
                        "the runner buffered " + stalledAt / 1024 / 1024 + " MiB for a worker that reads nothing");
                assertEquals(total, readInOrder(w.getInputStream(), 0, total, chunk.length), "then everything arrives, in order");
            }
        }
    }

    /** Waits until {@code written} is above 0 and did not move between two looks. */
    private static void awaitStalled(AtomicLong written, String what) {
        long[] last = {-1};
        await(() -> {
            long now = written.get();
            boolean stalled = now == last[0] && now > 0;
            last[0] = now;
            return stalled;
        }, what);
    }

    /**
     * Reads a stream of bytes 0, 1, ... (mod {@code period}) from offset {@code from} up to
     * {@code total}; returns how many it got, or throws at the first byte out of order.
     */
    private static long readInOrder(InputStream in, long from, long total, int period) throws IOException {
        byte[] buf = new byte[64 * 1024];
        long received = from;
        int expected = (int) (from % period);
        int n;
        while (received < total && (n = in.read(buf)) > 0) {
            for (int i = 0; i < n; i++) {
                if (buf[i] != (byte) expected) throw new AssertionError("corrupt byte at " + (received + i));
                expected = (expected + 1) % period;
            }
            received += n;
        }
        return received;
    }

    /** 3,000 in CI; {@code -Dfront.connections=100000} for the figure (about a minute). */
    @Test
    void countsStayExactAfterManyConnectionsEndedEveryWay() throws Exception {
        int connections = Integer.getInteger("front.connections", 3000);
        Backends.Echo a = backends.start("a");
        Backends.Echo b = backends.start("b");
        front.publish(List.of(new Route(1, a.port()), new Route(2, b.port())));
        InetSocketAddress address = front.addresses().get(0);
        for (int i = 0; i < connections; i++) {
            try (Socket s = new Socket()) {
                s.connect(address, 2000);
                s.setSoTimeout(5000);
                switch (i % 3) {
                    case 0 -> { // ordinary: read the greeting, close
                        s.getInputStream().readNBytes(2);
                    }
                    case 1 -> { // reset at once, before anything was relayed
                        s.setSoLinger(true, 0);
                    }
                    default -> { // half-close and read to the end
                        s.shutdownOutput();
                        s.getInputStream().readAllBytes();
                    }
                }
            }
        }
        await(() -> front.openConnections(1) == 0 && front.openConnections(2) == 0,
                "every count back to 0, now " + front.openConnections(1) + "/" + front.openConnections(2));
        assertTrue(a.accepted.get() > connections / 4 && b.accepted.get() > connections / 4,
                "spread over both workers: " + a.accepted + "/" + b.accepted);
    }

    @Test
    void busyAddressIsOneLineNamingIt() throws Exception {
        int port = front.addresses().get(0).getPort();
        FrontBindException e = assertThrows(FrontBindException.class, () ->
                Front.bind(new FrontSettings("127.0.0.1", port, 1, Duration.ofSeconds(1), Duration.ofSeconds(1))));
        assertEquals("cannot listen on 127.0.0.1:" + port + ": address already in use", e.getMessage());
    }

    @Test
    void unknownHostIsOneLine() {
        FrontBindException e = assertThrows(FrontBindException.class, () ->
                Front.bind(new FrontSettings("no-such-host.invalid", 0, 1, Duration.ofSeconds(1), Duration.ofSeconds(1))));
        assertTrue(e.getMessage().startsWith("cannot listen on no-such-host.invalid:0: "), e.getMessage());
    }
}
