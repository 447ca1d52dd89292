package dev.actorrunner.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actorrunner.fixtures.Reaper;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * http mode as a client sees it: reloads under keep-alive load lose nothing, even with an app
 * whose shutdown cuts every connection, and a long transfer finishes through a reload.
 */
class HttpModeIT {
    private static final Duration BOOT = Duration.ofSeconds(60);
    @RegisterExtension
    final Reaper reaper = new Reaper();

    private RunnerProcess runner(List<String> app) throws Exception {
        List<String> args = new ArrayList<>(List.of("-p", "0", "-w", "2", "--mode", "http",
                "--kill-timeout", "10s", "--backoff-min", "200ms"));
        args.addAll(app);
        return reaper.closeLater(RunnerProcess.start(args));
    }

    @Test
    void reloadsUnderKeepAliveLoadLoseNoRequestWithTheDemo() throws Exception {
        LoadClient.throughThreeReloads(runner(RunnerProcess.demo()), reaper, BOOT);
    }

    @Test
    void reloadsLoseNoRequestEvenWhenTheAppCutsEveryConnectionOnSigterm() throws Exception {
        LoadClient.throughThreeReloads(runner(RunnerProcess.fixture("abrupt")), reaper, BOOT);
    }

    @Test
    void aLongDownloadAndUploadFinishThroughAReload() throws Exception {
        RunnerProcess r = runner(RunnerProcess.fixture("serve"));
        r.awaitInRotation(2, BOOT);
        int port = r.publicPort(BOOT);
        // A slow reader: the download is still running when the reload drains its worker.
        CompletableFuture<Long> download = CompletableFuture.supplyAsync(() -> download(port, 256));
        CompletableFuture<String> upload = CompletableFuture.supplyAsync(() -> upload(port, 128));
        r.signal("HUP");
        r.awaitLine(l -> l.contains("reload 2 completed"), BOOT, "the reload");
        assertEquals(256L * 1024 * 1024, download.get(60, TimeUnit.SECONDS));
        assertTrue(upload.get(60, TimeUnit.SECONDS).startsWith(128L * 1024 * 1024 + " bytes"), upload.get());
    }

    private static long download(int port, int mb) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout(30_000);
            s.getOutputStream().write(("GET /big?mb=" + mb + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            byte[] buf = new byte[64 * 1024];
            long total = 0;
            int n;
            // The body is all NUL bytes; the head and the chunk framing are ASCII text, which has
            // none: counting the NULs counts the body, whatever the framing.
            while ((n = in.read(buf)) > 0) {
                for (int i = 0; i < n; i++) if (buf[i] == 0) total++;
                if (total < 8L * 1024 * 1024) Thread.sleep(1); // slow at first: the reload overtakes it
            }
            return total;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String upload(int port, int mb) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            out.write(("POST /upload HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: "
                    + (long) mb * 1024 * 1024 + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            byte[] chunk = new byte[1024 * 1024];
            for (int i = 0; i < mb; i++) {
                out.write(chunk);
                if (i < 8) Thread.sleep(20); // slow at first, like the download
            }
            out.flush();
            String response = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!response.startsWith("HTTP/1.1 200")) throw new IllegalStateException(response);
            return response.substring(response.indexOf("\r\n\r\n") + 4).trim();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
