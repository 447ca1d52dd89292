package dev.actorrunner.control;

import dev.actorrunner.ActorRunner;
import dev.actorrunner.RunnerEvent;
import dev.actorrunner.RunnerStatus;
import dev.actorrunner.control.ControlProtocol.Request;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client of the control socket: reads its request line, turns it into messages to the runner
 * and writes the answer lines ({@link ControlProtocol}). Runs on a thread of its own, so waiting
 * for an answer or for a reload's events blocks only this session, never an actor.
 */
final class ControlSession implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(ControlSession.class);

    /** A client that sends no request line by then is cut off (it would hold a session's thread). */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
    /** The runner answers GetStatus at once unless its mailbox is stuck; then say so. */
    static final Duration ASK_TIMEOUT = Duration.ofSeconds(5);
    /** CPU% is measured over this window. */
    static final Duration CPU_WINDOW = Duration.ofMillis(250);
    /** How often a waiting session looks whether the runner is exiting. */
    private static final Duration POLL = Duration.ofMillis(200);
    /** How long a "ready" line waits for the "draining" event the runner sends right after it. */
    private static final Duration MERGE = Duration.ofMillis(100);

    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "actor-runner-control-timer");
        t.setDaemon(true);
        return t;
    });

    private final ControlServer server;
    private final SocketChannel channel;
    private final RunnerHandle runner;
    private final StatusView.HostInfo host;
    private final OutputStream out;

    ControlSession(ControlServer server, SocketChannel channel, RunnerHandle runner, StatusView.HostInfo host) {
        this.server = server;
        this.channel = channel;
        this.runner = runner;
        this.host = host;
        this.out = Channels.newOutputStream(channel);
    }

    @Override
    public void run() {
        try {
            serve();
        } catch (ClientGone gone) {
            // the client went away while we answered
        } finally {
            abort();
        }
    }

    private void serve() {
        try {
            Request request = Request.parse(readRequest());
            switch (request.command()) {
                case STATUS -> status();
                case RELOAD -> reload(request.await());
                case SCALE -> scale(request);
                case STOP -> stop(request.await());
            }
        } catch (ControlProtocol.BadRequest e) {
            send(ControlProtocol.error(e.getMessage()));
        } catch (ClientGone | IOException e) {
            // the client went away, or sent no request in time: nobody to tell
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.warn("control request failed", e);
            send(ControlProtocol.error("internal error: " + e));
        }
    }

    /**
     * Tells the peer why it is turned away, without reading its request. The connection is closed
     * a moment later, not at once: closing a Unix socket with unread input resets it, and the
     * peer would see "connection reset" instead of the reason.
     */
    void refuse(String why) {
        try {
            send(ControlProtocol.error(why));
            channel.shutdownOutput();
        } catch (IOException | ClientGone e) {
            // gone already
        }
        TIMER.schedule(this::abort, 1, TimeUnit.SECONDS);
    }

    void abort() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closed either way
        }
    }

    private String readRequest() throws IOException {
        ScheduledFuture<?> cutOff = TIMER.schedule(this::abort, REQUEST_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        try {
            InputStream in = Channels.newInputStream(channel);
            ByteArrayOutputStream line = new ByteArrayOutputStream(128);
            byte[] chunk = new byte[512];
            while (true) {
                int n = in.read(chunk);
                if (n < 0) throw new ControlProtocol.BadRequest("no request line");
                for (int i = 0; i < n; i++) {
                    if (chunk[i] == '\n') {
                        line.write(chunk, 0, i);
                        return line.toString(StandardCharsets.UTF_8);
                    }
                }
                line.write(chunk, 0, n);
                if (line.size() > ControlProtocol.MAX_REQUEST_BYTES) {
                    throw new ControlProtocol.BadRequest("request longer than " + ControlProtocol.MAX_REQUEST_BYTES + " bytes");
                }
            }
        } finally {
            cutOff.cancel(false);
        }
    }

    // ---- status ----

    private void status() throws InterruptedException {
        RunnerStatus s = ask();
        if (s == null) return;
        List<Long> pids = s.workers().stream().map(RunnerStatus.Worker::pid).filter(p -> p > 0).toList();
        ProcessStats.Sample usage = ProcessStats.sample(pids, host.pid(), CPU_WINDOW);
        Map<String, Object> json = StatusView.toJson(s, host, usage.trees(), usage.self(), Instant.now());
        send(ControlProtocol.result(true, s.readyCount() + " of " + s.desiredWorkers() + " workers ready",
                Map.of("status", json)));
    }

    /** The runner's status, or null after telling the client it did not answer. */
    private RunnerStatus ask() throws InterruptedException {
        try {
            return runner.status(ASK_TIMEOUT).toCompletableFuture().get(ASK_TIMEOUT.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            send(ControlProtocol.error("the runner did not answer within " + ASK_TIMEOUT.toSeconds() + "s"
                    + (server.closing() ? " (it is exiting)" : "")));
            return null;
        }
    }

    // ---- reload ----

    /**
     * Sends Reload, then asks for the status: the runner handles the two in that order, so the
     * status tells which reload the request became (the one it started, or the one queued after
     * the running one). With {@code wait}, the events of that reload are relayed until it ends.
     */
    private void reload(boolean wait) throws InterruptedException {
        try (RunnerHandle.Subscription events = wait ? runner.subscribe() : null) {
            runner.tell(ActorRunner.Reload.INSTANCE);
            RunnerStatus s = ask();
            if (s == null) return;
            if (s.stopping()) {
                send(ControlProtocol.error("the runner is stopping: no reload"));
                return;
            }
            int target = s.reloadQueued() ? s.generation() + 1 : s.generation();
            String started = s.reloadQueued()
                    ? "reload " + target + " queued: it follows reload " + s.generation() + ", now running"
                    : "reload " + target + " started: replacing "
                    + s.reload().map(RunnerStatus.ReloadProgress::toReplace).orElse(0) + " worker(s)";
            if (!wait) {
                send(ControlProtocol.result(true, started));
                return;
            }
            send(ControlProtocol.progress(started));
            new ReloadWatch(target, !s.reloadQueued()).follow(events);
        }
    }

    /** Relays the events of reload {@code target} as progress lines, then its outcome. */
    private final class ReloadWatch {
        private final int target;
        private boolean ours;
        private final Map<Integer, Long> startedNanos = new HashMap<>();
        private RunnerEvent pending;

        ReloadWatch(int target, boolean alreadyStarted) {
            this.target = target;
            this.ours = alreadyStarted;
        }

        void follow(RunnerHandle.Subscription events) throws InterruptedException {
            while (true) {
                RunnerEvent e = next(events, POLL);
                if (e == null) {
                    if (server.closing()) {
                        events.runnerGone();
                        send(ControlProtocol.result(false, "the runner exited before reload " + target + " ended"));
                        return;
                    }
                    continue;
                }
                if (handle(e, events)) return;
            }
        }

        private RunnerEvent next(RunnerHandle.Subscription events, Duration timeout) throws InterruptedException {
            if (pending != null) {
                RunnerEvent e = pending;
                pending = null;
                return e;
            }
            return events.next(timeout);
        }

        /** True once the outcome was sent. */
        private boolean handle(RunnerEvent event, RunnerHandle.Subscription events) throws InterruptedException {
            if (event instanceof RunnerEvent.ReloadStarted e && e.generation() == target) {
                if (!ours) send(ControlProtocol.progress("reload " + target + " started"));
                ours = true;
            } else if (event instanceof RunnerEvent.ReloadCompleted e) {
                if (e.generation() == target) return completed(e);
                send(ControlProtocol.progress("reload " + e.generation() + " completed; reload " + target + " follows"));
            } else if (event instanceof RunnerEvent.ReloadAborted e) {
                if (e.generation() == target) {
                    send(ControlProtocol.result(false, "reload " + target + " aborted: " + e.reason()));
                    return true;
                }
                send(ControlProtocol.progress("reload " + e.generation() + " aborted; reload " + target + " follows"));
            } else if (event instanceof RunnerEvent.Stopped) {
                send(ControlProtocol.result(false, "the runner stopped before reload " + target + " ended"));
                return true;
            } else if (ours) {
                worker(event, events);
            }
            return false;
        }

        private void worker(RunnerEvent event, RunnerHandle.Subscription events) throws InterruptedException {
            if (event instanceof RunnerEvent.WorkerStarted e && e.generation() == target) {
                startedNanos.put(e.workerId(), System.nanoTime());
                send(ControlProtocol.progress("worker " + e.workerId() + " started (pid " + e.pid() + ")"));
            } else if (event instanceof RunnerEvent.WorkerListening e && e.generation() == target) {
                Long t0 = startedNanos.get(e.workerId());
                StringBuilder line = new StringBuilder("worker " + e.workerId() + " ready");
                if (t0 != null) line.append(" in ").append(seconds(Duration.ofNanos(System.nanoTime() - t0)));
                // The runner drains the old worker in the same step: say so on the same line.
                RunnerEvent after;
                while ((after = next(events, MERGE)) instanceof RunnerEvent.WorkerDraining d && d.generation() < target) {
                    line.append(", draining worker ").append(d.workerId());
                }
                pending = after;
                send(ControlProtocol.progress(line.toString()));
            } else if (event instanceof RunnerEvent.WorkerDraining e && e.generation() < target) {
                send(ControlProtocol.progress("draining worker " + e.workerId()));
            } else if (event instanceof RunnerEvent.WorkerExited e) {
                if (e.generation() < target && e.expected()) {
                    send(ControlProtocol.progress("worker " + e.workerId() + " exited (" + e.description() + ")"));
                } else if (!e.expected()) {
                    send(ControlProtocol.progress("worker " + e.workerId() + " failed: " + e.description()));
                }
            }
        }

        private boolean completed(RunnerEvent.ReloadCompleted e) throws InterruptedException {
            String replaced = "";
            RunnerStatus s = ask();
            if (s == null) return true;
            if (s.lastReload().filter(r -> r.generation() == target).isPresent()) {
                replaced = ": " + s.lastReload().get().replaced() + " worker(s) replaced";
            }
            send(ControlProtocol.result(true, "reload " + target + " completed in " + seconds(e.took()) + replaced));
            return true;
        }
    }

    // ---- scale and stop ----

    private void scale(Request request) throws InterruptedException {
        RunnerStatus before = ask();
        if (before == null) return;
        if (before.stopping()) {
            send(ControlProtocol.error("the runner is stopping: no scale"));
            return;
        }
        runner.tell(request.relative() ? ActorRunner.Scale.by(request.workers()) : ActorRunner.Scale.to(request.workers()));
        RunnerStatus after = ask();
        if (after == null) return;
        int from = before.desiredWorkers();
        int to = after.desiredWorkers();
        send(ControlProtocol.result(true, from == to ? "already " + to + " worker(s)"
                : "scaling from " + from + " to " + to + " worker(s)"));
    }

    /** StopAll, once: a second one would kill every worker, which is what a second SIGTERM is for. */
    private void stop(boolean wait) throws InterruptedException {
        RunnerStatus s = ask();
        if (s == null) return;
        try (RunnerHandle.Subscription events = wait ? runner.subscribe() : null) {
            if (!s.stopping()) runner.tell(ActorRunner.StopAll.INSTANCE);
            String message = s.stopping() ? "already stopping" : "stopping " + s.workers().size() + " worker(s)";
            if (!wait) {
                send(ControlProtocol.result(true, message));
                return;
            }
            send(ControlProtocol.progress(message));
            while (true) {
                RunnerEvent e = events.next(POLL);
                if (e instanceof RunnerEvent.WorkerExited x) {
                    send(ControlProtocol.progress("worker " + x.workerId() + " exited (" + x.description() + ")"));
                } else if (e instanceof RunnerEvent.Stopped || (e == null && server.closing())) {
                    events.runnerGone();
                    int code = server.exitCode();
                    send(ControlProtocol.result(code <= 0, "the runner stopped" + (code > 0 ? " (exit code " + code + ")" : "")));
                    return;
                }
            }
        }
    }

    private void send(String line) {
        try {
            out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            // The client went away (Ctrl-C on `reload --wait`): the reload goes on without it.
            throw new ClientGone();
        }
    }

    private static String seconds(Duration d) {
        return String.format(Locale.ROOT, "%.1fs", d.toMillis() / 1000.0);
    }

    /** Ends a session whose client is gone. */
    private static final class ClientGone extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ClientGone() {
            super(null, null, false, false);
        }
    }
}
