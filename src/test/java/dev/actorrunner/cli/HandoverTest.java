package dev.actorrunner.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actorrunner.config.RunnerSettings;
import dev.actorrunner.front.Front;
import dev.actorrunner.front.FrontSettings;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The handover's wire within one process (the peer check then expects this process's own pid):
 * a bound listening socket goes over a Unix socket by SCM_RIGHTS, arrives as another fd of the
 * same socket, and the two ends say READY and RELEASED. Real sockets, no runner.
 */
class HandoverTest {
    private static final FrontSettings SETTINGS = new FrontSettings("127.0.0.1", 0, 1, Duration.ofSeconds(5),
            Duration.ofSeconds(2), RunnerSettings.Mode.TCP, RunnerSettings.Http.DEFAULTS);

    @TempDir
    Path dir;
    private Front before;
    private Front next;
    private Handover.Giver giver;
    private Handover.Taker taker;

    @AfterEach
    void close() {
        if (taker != null) taker.close();
        if (giver != null) giver.close();
        if (next != null) next.close();
        if (before != null) before.close();
    }

    private Map<String, String> env(Path socket, long from) {
        return Map.of(Handover.SOCKET_ENV, socket.toString(), Handover.FDS_ENV, "1", Handover.FROM_ENV, String.valueOf(from));
    }

    @Test
    void theListeningSocketArrivesAsAnotherFdOfTheSameSocketAndBothEndsSayWhereTheyAre() throws Exception {
        before = Front.bind(SETTINGS);
        int port = before.addresses().get(0).getPort();
        giver = Handover.Giver.listen(dir.resolve("h.sock"), before.listeningSockets());
        long me = ProcessHandle.current().pid();
        giver.expect(me);
        taker = Handover.Taker.connect(env(giver.path(), me)).orElseThrow();
        assertEquals(1, taker.fds().size());
        int fd = taker.fds().get(0);
        assertTrue(fd != before.listeningSockets().get(0).intValue(), "a descriptor of its own");

        next = Front.adopt(SETTINGS, taker.fds(), false);
        assertEquals(port, next.addresses().get(0).getPort(), "the same socket: the same port");
        before.stopAccepting(); // the runner before lets go; the adopted descriptor keeps the socket open
        next.startAccepting();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000); // accepted by the adopted one (no worker: it waits)
        }

        taker.ready();
        giver.ready().get(5, TimeUnit.SECONDS);
        giver.release();
        assertEquals(Handover.Outcome.RELEASED, taker.released().get(5, TimeUnit.SECONDS));
    }

    @Test
    void anUpgradeGivenUpIsSaidSoBeforeTheHandoverCloses() throws Exception {
        before = Front.bind(SETTINGS);
        giver = Handover.Giver.listen(dir.resolve("h.sock"), before.listeningSockets());
        giver.expect(ProcessHandle.current().pid());
        taker = Handover.Taker.connect(env(giver.path(), 1)).orElseThrow();
        taker.ready();
        giver.ready().get(5, TimeUnit.SECONDS);
        giver.abort();
        giver.close();
        giver = null;
        assertEquals(Handover.Outcome.ABORTED, taker.released().get(5, TimeUnit.SECONDS), "not taken for gone");
    }

    @Test
    void theNextRunnerThatCannotGetReadySaysWhy() throws Exception {
        before = Front.bind(SETTINGS);
        giver = Handover.Giver.listen(dir.resolve("h.sock"), before.listeningSockets());
        giver.expect(ProcessHandle.current().pid());
        taker = Handover.Taker.connect(env(giver.path(), 1)).orElseThrow();
        taker.failed("the app failed to boot 3 times");
        Exception failed = assertThrows(java.util.concurrent.ExecutionException.class, () -> giver.ready().get(5, TimeUnit.SECONDS));
        assertEquals("the app failed to boot 3 times", failed.getCause().getMessage());
    }

    @Test
    void aProcessOtherThanTheOneStartedGetsNoSocket() throws Exception {
        before = Front.bind(SETTINGS);
        giver = Handover.Giver.listen(dir.resolve("h.sock"), before.listeningSockets());
        giver.expect(1); // not us
        Handover.Failed refused = assertThrows(Handover.Failed.class, () -> Handover.Taker.connect(env(giver.path(), 1)));
        assertTrue(refused.getMessage().contains("closed the handover after 0 of 1 sockets"), refused.getMessage());
    }

    @Test
    void theRunnerBeforeGoneEndsTheWaitForRelease() throws Exception {
        before = Front.bind(SETTINGS);
        giver = Handover.Giver.listen(dir.resolve("h.sock"), before.listeningSockets());
        giver.expect(ProcessHandle.current().pid());
        taker = Handover.Taker.connect(env(giver.path(), 1)).orElseThrow();
        giver.close();
        giver = null;
        assertEquals(Handover.Outcome.GONE, taker.released().get(5, TimeUnit.SECONDS), "gone, not released");
    }
}
