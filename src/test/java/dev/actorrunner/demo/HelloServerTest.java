package dev.actorrunner.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actorrunner.config.RunnerSettings.PortRange;
import dev.actorrunner.fixtures.CapturedLog;
import dev.actorrunner.fixtures.Processes;
import dev.actorrunner.fixtures.Reaper;
import dev.actorrunner.process.LaunchSpec;
import dev.actorrunner.process.OsProcessLauncher;
import dev.actorrunner.process.WorkerProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The demo as the runner starts it: its own JVM, through the real launcher. */
class HelloServerTest {

    @RegisterExtension
    final Reaper reaper = new Reaper();
    private final OsProcessLauncher launcher = new OsProcessLauncher(new PortRange(23100, 23199));
    private final CapturedLog appLog = new CapturedLog("app");
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @AfterEach
    void close() {
        launcher.close();
        appLog.close();
    }

    private HttpResponse<String> get(WorkerProcess worker, String path) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + worker.port() + path))
                .timeout(Duration.ofSeconds(5)).build();
        return client.send(request, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void answersWithItsPidAndDrainsToExitZeroOnSigterm() throws Exception {
        LaunchSpec spec = new LaunchSpec(1, 1, Processes.javaCommand(HelloServer.class.getName()),
                "PORT", Map.of(), Optional.of(Pattern.compile("^listening on ")));
        WorkerProcess worker = launcher.launch(spec).toCompletableFuture().get(30, TimeUnit.SECONDS);
        reaper.register(worker.pid());
        worker.readyLine().toCompletableFuture().get(30, TimeUnit.SECONDS);

        HttpResponse<String> hello = get(worker, "/");
        assertEquals(200, hello.statusCode());
        assertEquals("hello from pid " + worker.pid() + "\n", hello.body());
        assertEquals("text/plain; charset=utf-8", hello.headers().firstValue("Content-Type").orElse(""));
        assertEquals("ok\n", get(worker, "/health").body());
        assertEquals(404, get(worker, "/nope").statusCode());

        worker.terminate();

        assertEquals(0, worker.exited().toCompletableFuture().get(30, TimeUnit.SECONDS).code());
        String prefix = "[worker 1 pid " + worker.pid() + "] ";
        assertTrue(appLog.messages().contains(prefix + "listening on 127.0.0.1:" + worker.port()
                + " (pid " + worker.pid() + ")"), appLog.messages().toString());
        assertTrue(appLog.messages().contains(prefix + "stopped (pid " + worker.pid() + ")"),
                appLog.messages().toString());
    }
}
