package dev.actorrunner.front;

import static dev.actorrunner.front.RawHttp.get;
import static dev.actorrunner.front.RawHttp.read;
import static dev.actorrunner.front.RawHttp.send;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actorrunner.config.RunnerSettings;
import dev.actorrunner.front.Router.Route;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The front in auto mode over real sockets: an HTTP/1.x connection gets http mode's per-request
 * routing, anything else tcp mode's pinning with every byte passed on in order.
 */
class AutoFrontTest {
    private static final Duration SNIFF = Duration.ofMillis(300);
    private final HttpBackends web = new HttpBackends();
    private final Backends echo = new Backends();
    private final List<Socket> clients = new ArrayList<>();
    private Front front;

    @BeforeEach
    void bind() throws Exception {
        RunnerSettings.Http h = RunnerSettings.Http.DEFAULTS;
        RunnerSettings.Http http = new RunnerSettings.Http(h.healthPath(), h.forwardedHeaders(), h.trustForwarded(),
                h.maxInitialLine(), h.maxHeaderSize(), h.responseTimeout(), SNIFF);
        front = Front.bind(new FrontSettings("127.0.0.1", 0, 1, Duration.ofSeconds(5), Duration.ofSeconds(2),
                RunnerSettings.Mode.AUTO, http));
    }

    @AfterEach
    void close() throws Exception {
        for (Socket c : clients) c.close();
        front.close();
        web.close();
        echo.close();
    }

    private Socket connect() throws IOException {
        Socket s = new Socket();
        clients.add(s);
        s.connect(front.addresses().get(0), 2000);
        s.setSoTimeout(10_000);
        return s;
    }

    @Test
    void eachRequestOfAnHttpConnectionIsRoutedOnItsOwnAndADrainDoesNotWaitForIt() throws Exception {
        HttpBackends.Web a = web.web("a");
        HttpBackends.Web b = web.web("b");
        front.publish(List.of(new Route(1, a.port()), new Route(2, b.port())));
        Socket s = connect();
        Set<String> answers = new HashSet<>();
        for (int i = 0; i < 6; i++) {
            send(s, get("/"));
            answers.add(read(s.getInputStream()).text());
        }
        assertEquals(Set.of("a", "b"), answers, "one client connection, both workers");

        front.publish(List.of(new Route(2, b.port())));
        assertEquals(0, front.drain(1).toCompletableFuture().get(10, TimeUnit.SECONDS),
                "the kept-alive client holds no connection to worker 1: its drain ends at once");
        for (int i = 0; i < 3; i++) {
            send(s, get("/"));
            assertEquals("b", read(s.getInputStream()).text(), "the same client connection goes on, on worker 2");
        }
    }

    @Test
    void binaryBytesArePinnedToOneWorkerAndEchoedWholeAndInOrder() throws Exception {
        Backends.Echo a = echo.start("a");
        Backends.Echo b = echo.start("b");
        front.publish(List.of(new Route(1, a.port()), new Route(2, b.port())));
        Socket s = connect();
        byte[] hello = new byte[3000];
        for (int i = 0; i < hello.length; i++) hello[i] = (byte) (i * 7);
        hello[0] = 0x16; // a TLS record's first byte
        s.getOutputStream().write(hello);
        s.getOutputStream().write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        s.shutdownOutput();
        byte[] got = s.getInputStream().readAllBytes();
        String name = new String(got, 0, 2, StandardCharsets.US_ASCII);
        assertTrue(name.equals("a:") || name.equals("b:"), name);
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.writeBytes(name.getBytes(StandardCharsets.US_ASCII));
        expected.writeBytes(hello);
        expected.writeBytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        expected.writeBytes(("|bye from " + name.charAt(0)).getBytes(StandardCharsets.US_ASCII));
        assertEquals(new String(expected.toByteArray(), StandardCharsets.ISO_8859_1), new String(got, StandardCharsets.ISO_8859_1),
                "every byte, in order, through one worker, and the half-close");
        assertEquals(1, a.accepted.get() + b.accepted.get());
    }

    @Test
    void aClientWaitingForTheServerToSpeakFirstIsPinnedAfterSniffTimeout() throws Exception {
        Backends.Echo a = echo.start("a");
        front.publish(List.of(new Route(1, a.port())));
        Socket s = connect();
        long start = System.nanoTime();
        InputStream in = s.getInputStream();
        byte[] greeting = in.readNBytes(2); // the server's greeting, before the client sent anything
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertEquals("a:", new String(greeting, StandardCharsets.US_ASCII));
        assertTrue(took.compareTo(SNIFF) >= 0, "not before sniff-timeout: " + took);
        send(s, "HELO x\r\n");
        assertEquals("HELO x\r\n", new String(in.readNBytes(8), StandardCharsets.US_ASCII));
        assertEquals(1, front.openConnections(1));
    }
}
