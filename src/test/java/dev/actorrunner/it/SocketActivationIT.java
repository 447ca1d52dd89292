package dev.actorrunner.it;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * systemd's socket activation, as systemd-socket-activate(1) does it: it listens, and on the first
 * connection execs the runner with the socket as fd 3 (LISTEN_FDS=1, LISTEN_PID its own pid, and
 * the fd left blocking, as systemd without NonBlocking=yes). The runner adopts it instead of binding,
 * the connection that woke it is served from the queue, and no worker sees LISTEN_*.
 */
class SocketActivationIT {
    private static final Path JAR = Path.of(System.getProperty("actorrunner.jar", "target/actor-runner.jar"));
    private RunnerProcess runner;

    @BeforeAll
    static void tools() {
        assertTrue(Files.isExecutable(Path.of("/usr/bin/systemd-socket-activate")),
                "systemd-socket-activate (Debian's systemd package; .ci/run installs it)");
    }

    @AfterEach
    void stop() {
        if (runner != null) runner.close();
    }

    @Test
    void theRunnerAdoptsTheSocketItIsHandedAndServesTheConnectionThatWokeIt() throws Exception {
        int port = freePort();
        runner = RunnerProcess.startJarUnder(List.of("/usr/bin/systemd-socket-activate", "-l", "127.0.0.1:" + port),
                JAR, List.of("-w", "1", "--port", "1", "--demo")); // --port is not used: the socket is systemd's
        runner.awaitLine(l -> l.contains("Listening on 127.0.0.1:" + port), Duration.ofSeconds(10),
                "systemd-socket-activate to listen");
        // The first connection is what makes systemd-socket-activate exec the runner: it waits in
        // the socket's queue meanwhile, then in the runner's until a worker is ready.
        String first = Http.get(port, Duration.ofSeconds(90)); // throws unless 200
        assertTrue(first.startsWith("hello from pid"), first);
        runner.awaitLine(l -> l.contains("listening on 127.0.0.1:" + port + " for clients (epoll, fd 3 inherited)"),
                Duration.ofSeconds(5), "the adopted socket's line");
        assertFalse(runner.output().contains("cannot listen"), runner.output());

        RunnerProcess.Worker w = runner.awaitInRotation(1, Duration.ofSeconds(10)).get(0);
        String env = Files.readString(Path.of("/proc/" + w.pid() + "/environ")).replace('\0', '\n');
        assertFalse(env.contains("LISTEN_FDS=") || env.contains("LISTEN_PID="), "a worker saw socket activation's variables");
        for (int i = 0; i < 5; i++) assertTrue(Http.get(port, Duration.ofSeconds(10)).startsWith("hello from pid"));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
