package dev.actorrunner;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A snapshot of a runner, the answer to {@link ActorRunner.GetStatus}. {@code crashes} counts the
 * workers that died without being asked to since the runner started.
 *
 * @param startedAt    when the runner started
 * @param reload       the reload in progress, if any
 * @param reloadQueued a reload was asked for during the current one and will follow it
 * @param lastReload   how the last reload that ended, ended
 * @param reloads      reloads started, completed and aborted since the runner started
 * @param generations  the generations that still have workers, and the newest, oldest first
 */
public record RunnerStatus(
        String app,
        int desiredWorkers,
        int generation,
        boolean reloading,
        boolean stopping,
        int crashes,
        List<Worker> workers,
        Instant startedAt,
        Optional<ReloadProgress> reload,
        boolean reloadQueued,
        Optional<ReloadResult> lastReload,
        ReloadTotals reloads,
        List<Generation> generations) {

    public RunnerStatus {
        workers = List.copyOf(workers);
        Objects.requireNonNull(startedAt, "startedAt");
        reload = reload == null ? Optional.empty() : reload;
        lastReload = lastReload == null ? Optional.empty() : lastReload;
        reloads = reloads == null ? ReloadTotals.NONE : reloads;
        generations = generations == null ? List.of() : List.copyOf(generations);
    }

    /** The second shape of this record, without the generations (kept for source compatibility). */
    public RunnerStatus(String app, int desiredWorkers, int generation, boolean reloading, boolean stopping,
                        int crashes, List<Worker> workers, Instant startedAt, Optional<ReloadProgress> reload,
                        boolean reloadQueued, Optional<ReloadResult> lastReload, ReloadTotals reloads) {
        this(app, desiredWorkers, generation, reloading, stopping, crashes, workers, startedAt, reload, reloadQueued,
                lastReload, reloads, List.of());
    }

    /** The first shape of this record, without the reload details (kept for source compatibility). */
    public RunnerStatus(String app, int desiredWorkers, int generation, boolean reloading, boolean stopping,
                        int crashes, List<Worker> workers) {
        this(app, desiredWorkers, generation, reloading, stopping, crashes, workers, Instant.now(),
                Optional.empty(), false, Optional.empty(), ReloadTotals.NONE, List.of());
    }

    /** Workers in rotation. */
    public long readyCount() {
        return workers.stream().filter(w -> w.state() == State.READY).count();
    }

    /**
     * One worker; pid and port are -1 until its process has started.
     *
     * @param since       when it entered its current state
     * @param startedAt   when its process started (null until then)
     * @param restarts    how many crashed workers came before it in its line: 0 for a worker forked
     *                    at boot, by a scale up or by a reload; its predecessor's + 1 for one that
     *                    replaces a crashed worker
     * @param connections connections the public port holds open to it now
     * @param sharePercent the share of new traffic slow start gives it now, in percent: below 100
     *                    while a worker that entered rotation beside warm ones ramps up
     */
    public record Worker(int id, int generation, long pid, int port, State state, Instant since,
                         Instant startedAt, int restarts, int connections, int sharePercent) {

        /** The first shape of this record (kept for source compatibility). */
        public Worker(int id, int generation, long pid, int port, State state, Instant since) {
            this(id, generation, pid, port, state, since, null, 0, 0, 100);
        }

        /** The shape before slow start (kept for source compatibility): a full share. */
        public Worker(int id, int generation, long pid, int port, State state, Instant since,
                      Instant startedAt, int restarts, int connections) {
            this(id, generation, pid, port, state, since, startedAt, restarts, connections, 100);
        }

        /** How long its process has run; zero before it started. */
        public Duration uptime(Instant now) {
            return startedAt == null ? Duration.ZERO : Duration.between(startedAt, now);
        }
    }

    /** starting: forked, not yet ready; ready: in rotation; draining: out of rotation, finishing;
     *  unhealthy: out of rotation after failing its liveness checks, being dumped and stopped;
     *  stopping: sent SIGTERM, waiting for exit. */
    public enum State { STARTING, READY, DRAINING, UNHEALTHY, STOPPING }

    /**
     * The reload in progress: {@code replaced} of the {@code toReplace} old workers have left
     * rotation, each after its replacement was ready (surge) or before (stop-first); once every
     * worker in rotation is new, {@code serving} says how long that took, and the reload waits for
     * the old workers to exit.
     */
    public record ReloadProgress(int generation, Instant startedAt, int toReplace, int replaced,
                                 Optional<Duration> serving) {
        public ReloadProgress {
            serving = serving == null ? Optional.empty() : serving;
        }

        /** The first shape of this record (kept for source compatibility): not serving yet. */
        public ReloadProgress(int generation, Instant startedAt, int toReplace, int replaced) {
            this(generation, startedAt, toReplace, replaced, Optional.empty());
        }
    }

    /**
     * A reload that ended: completed (every worker of {@code generation}, the old ones all exited;
     * {@code serving} after the start, every worker in rotation was new) or aborted ({@code reason}
     * says why; the old workers not yet replaced kept serving).
     */
    public record ReloadResult(int generation, boolean completed, Instant endedAt, Duration took,
                               int replaced, String reason, Optional<Duration> serving) {
        public ReloadResult {
            serving = serving == null ? Optional.empty() : serving;
        }

        /** The first shape of this record (kept for source compatibility). */
        public ReloadResult(int generation, boolean completed, Instant endedAt, Duration took, int replaced,
                            String reason) {
            this(generation, completed, endedAt, took, replaced, reason, Optional.empty());
        }
    }

    /** Reloads since the runner started; one still running counts as started only. */
    public record ReloadTotals(int started, int completed, int aborted) {
        public static final ReloadTotals NONE = new ReloadTotals(0, 0, 0);
    }

    /**
     * What a generation runs: {@code app} as in the log, and its app jar as it was when the
     * generation began (empty for a command that runs no jar, and until it has been read).
     */
    public record Generation(int generation, String app, Optional<AppJar> jar) {
        public Generation {
            jar = jar == null ? Optional.empty() : jar;
        }
    }

    /**
     * An app jar: its real path (symlinks resolved) and the SHA-256 of its bytes in lower-case hex,
     * or empty with {@code problem} saying why it could not be read.
     */
    public record AppJar(java.nio.file.Path path, String sha256, String problem) {
        public AppJar {
            Objects.requireNonNull(path, "path");
            sha256 = sha256 == null ? "" : sha256;
            problem = problem == null ? "" : problem;
        }
    }
}
