package dev.actorrunner.cli;

import dev.actorrunner.config.RunnerSettings;
import dev.actorrunner.front.Front;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a runner does once all its workers are first ready. At a plain start: tells systemd
 * ({@code READY=1}, for {@code Type=notify}). As an upgrade's next runner: starts accepting on
 * the sockets it took over, takes the control socket path and the pid file, tells systemd it is
 * the main process now, and says READY to the runner before, which then lets go. If the runner
 * before is gone meanwhile (killed), this one takes over all the same once ready: one of the two
 * always serves. Runs on a thread of its own, never an actor's (renames, writes, a datagram).
 */
final class Takeover implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Takeover.class);

    private final RunnerSettings settings;
    private final Front front;
    private final HostServices services;
    private final Map<String, String> env;
    private final AtomicBoolean upgrading;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "actor-runner-takeover");
        t.setDaemon(true);
        return t;
    });
    private volatile Optional<PidFile> pidFile = Optional.empty();
    private volatile Handover.Taker taker;

    Takeover(RunnerSettings settings, Front front, HostServices services, Map<String, String> env, AtomicBoolean upgrading) {
        this.settings = settings;
        this.front = front;
        this.services = services;
        this.env = env;
        this.upgrading = upgrading;
    }

    /** A plain start: systemd hears READY=1 once every worker is ready. */
    void started(Optional<String> failed) {
        if (failed.isEmpty() && SystemdNotify.expected(env)) thread.execute(() -> SystemdNotify.send(env, "READY=1\n"));
    }

    /**
     * An upgrade's next runner: once {@code allReady} it accepts and says READY (or FAILED); it
     * takes the control socket path, the pid file, systemd's main pid and the fleet once the
     * runner before released it, or is gone. Given up (ABORTED), it takes nothing: the runner
     * before stops it.
     */
    void follow(Handover.Taker taker, CompletableFuture<Optional<String>> allReady, Runnable joinFleet) {
        this.taker = taker;
        taker.released().thenAcceptAsync(outcome -> {
            if (outcome == Handover.Outcome.GONE && !allReady.isDone()) {
                log.warn("upgrade: the runner before (pid {}) is gone before it let go; this runner takes over once"
                        + " its workers are ready", taker.from());
            }
        }, thread);
        allReady.thenAcceptAsync(failed -> {
            if (failed.isPresent()) {
                log.warn("upgrade: this runner cannot take over: {}", failed.get());
                taker.failed(failed.get());
                return;
            }
            front.startAccepting();
            taker.ready();
            log.info("upgrade: all workers ready, accepting beside the runner pid {} until it lets go", taker.from());
        }, thread);
        allReady.thenCombineAsync(taker.released(), (failed, outcome) -> {
            if (failed.isPresent()) return null;
            if (outcome == Handover.Outcome.ABORTED) {
                log.warn("upgrade: the runner pid {} gave the upgrade up; this runner takes nothing over and is stopped",
                        taker.from());
                return null;
            }
            services.takeOver();
            writePidFile();
            long pid = ProcessHandle.current().pid();
            if (SystemdNotify.expected(env)) SystemdNotify.send(env, "MAINPID=" + pid + "\nREADY=1\n");
            joinFleet.run();
            services.takeOverMetrics();
            upgrading.set(false);
            taker.close();
            log.info(outcome == Handover.Outcome.RELEASED
                    ? "upgrade: the runner pid {} let go; this runner (pid {}) is in charge"
                    : "upgrade: the runner pid {} is gone; this runner (pid {}) is in charge", taker.from(), pid);
            return null;
        }, thread);
    }

    private void writePidFile() {
        if (settings.pidFile().isEmpty()) return;
        try {
            pidFile = Optional.of(PidFile.write(settings.pidFile().get(), ProcessHandle.current().pid()));
        } catch (IOException e) {
            log.warn("pid file: {}", e.getMessage());
        }
    }

    /** At exit: the pid file this runner wrote (if it still holds its pid), the handover if still open. */
    @Override
    public void close() {
        pidFile.ifPresent(PidFile::close);
        Handover.Taker t = taker;
        if (t != null) t.close();
        thread.shutdown();
    }
}
