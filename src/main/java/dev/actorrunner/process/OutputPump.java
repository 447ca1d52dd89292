package dev.actorrunner.process;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Reads one of a worker's output streams to EOF on its own thread and logs each line through the
 * logger {@code app} at INFO. No queue sits between reading and logging: when logging is slower
 * than the worker writes, the pipe fills and the worker blocks in write(), so a flooding worker
 * costs two fixed buffers, never growing memory.
 */
final class OutputPump implements Runnable {

    /** Longest line logged whole; matches the read chunk so a line costs at most two buffers. */
    static final int MAX_LINE_BYTES = 8192;

    private static final Logger app = LoggerFactory.getLogger("app");
    private static final Logger log = LoggerFactory.getLogger(OutputPump.class);

    private final InputStream in;
    private final String prefix;
    private final Map<String, String> mdc;
    private final Consumer<String> onLine;
    private final CompletableFuture<Void> eof = new CompletableFuture<>();

    private OutputPump(InputStream in, String prefix, Map<String, String> mdc, Consumer<String> onLine) {
        this.in = in;
        this.prefix = prefix;
        this.mdc = mdc;
        this.onLine = onLine;
    }

    /**
     * Starts a daemon thread that logs every line of {@code in} as {@code prefix + line} and hands
     * it to {@code onLine}. The stage completes at EOF.
     */
    static CompletableFuture<Void> start(InputStream in, String threadName, String prefix,
                                         Map<String, String> mdc, Consumer<String> onLine) {
        OutputPump pump = new OutputPump(in, prefix, mdc, onLine);
        Thread thread = new Thread(pump, threadName);
        thread.setDaemon(true);
        thread.start();
        return pump.eof;
    }

    @Override
    public void run() {
        MDC.setContextMap(mdc); // this thread logs for one stream of one worker only
        LineSplitter lines = new LineSplitter(MAX_LINE_BYTES, this::line);
        byte[] chunk = new byte[MAX_LINE_BYTES];
        try {
            for (int n; (n = in.read(chunk)) != -1; ) {
                lines.feed(chunk, 0, n);
            }
        } catch (IOException e) {
            // The stream was closed under us; nothing more will come.
            log.debug("{}output stream closed: {}", prefix, e.getMessage());
        } catch (RuntimeException e) {
            // Never stop reading: a full pipe would freeze the worker in write().
            log.warn("{}output not logged from here on: {}", prefix, e.toString());
            discardRest();
        } finally {
            try {
                lines.finish();
            } finally {
                MDC.clear();
                eof.complete(null);
            }
        }
    }

    private void line(String text) {
        app.info(prefix.concat(text));
        onLine.accept(text);
    }

    private void discardRest() {
        try {
            in.transferTo(OutputStream.nullOutputStream());
        } catch (IOException ignored) {
            // EOF or closed: either way the worker can no longer block on us
        }
    }
}
