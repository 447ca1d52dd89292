package dev.actorrunner.probe;

import dev.actorrunner.config.RunnerSettings.Health;
import dev.actorrunner.config.RunnerSettings.Readiness;
import dev.actorrunner.process.WorkerProcess;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Builds the {@link ReadinessProbe} a {@link Readiness} setting names. */
public final class Probes {

    /** Connect and read timeouts of one check; a check answers within twice this. */
    static final Duration IO_TIMEOUT = Duration.ofSeconds(1);

    /** Hard bound of one check, whatever the executor's backlog. */
    static final Duration CHECK_BOUND = Duration.ofSeconds(2);

    /**
     * Blocking socket work of the probes. Concurrency is bounded by the callers (one check in
     * flight per starting worker), so a cached pool is enough; idle threads die after 30 s.
     */
    private static final ExecutorService IO = new ThreadPoolExecutor(0, Integer.MAX_VALUE,
            30, TimeUnit.SECONDS, new SynchronousQueue<>(), daemonThreads());

    private static final Logger log = LoggerFactory.getLogger(Probes.class);
    /** Workers already warned about a foreign listener; a handful at most over a runner's life. */
    private static final Set<Long> WARNED = ConcurrentHashMap.newKeySet();

    private Probes() {}

    /**
     * The probe for {@code readiness}, doing its socket I/O on a shared pool of daemon threads;
     * tcp and http also check that the listener is the worker's ({@link ListenerOwner}).
     */
    public static ReadinessProbe forReadiness(Readiness readiness) {
        return forReadiness(readiness, true);
    }

    /** As {@link #forReadiness(Readiness)}; {@code ownerCheck} false: any listener counts. */
    public static ReadinessProbe forReadiness(Readiness readiness, boolean ownerCheck) {
        return forReadiness(readiness, ownerCheck, IO);
    }

    /** As {@link #forReadiness(Readiness, boolean)}, with blocking socket I/O on {@code io}. */
    public static ReadinessProbe forReadiness(Readiness readiness, boolean ownerCheck, Executor io) {
        if (readiness instanceof Readiness.Tcp) {
            return process -> bounded(() -> TcpCheck.connects(process.port()) && (!ownerCheck || owns(process)), io);
        }
        if (readiness instanceof Readiness.Http http) {
            return process -> bounded(() -> HttpCheck.answers2xx(process.port(), http.path())
                    && (!ownerCheck || owns(process)), io);
        }
        if (readiness instanceof Readiness.Log) {
            // The pattern itself went to the launcher in LaunchSpec.readyLine.
            return process -> CompletableFuture.completedFuture(
                    process.readyLine().toCompletableFuture().isDone());
        }
        if (readiness instanceof Readiness.None) {
            return process -> CompletableFuture.completedFuture(true);
        }
        throw new IllegalArgumentException("unknown readiness " + readiness);
    }

    /** {@code ready}, followed by {@code warmup} once it passes ({@link Warmer}); {@code ready} itself when warm-up is off. */
    public static ReadinessProbe warmed(ReadinessProbe ready, dev.actorrunner.config.RunnerSettings.Warmup warmup) {
        return Warmer.warmed(ready, warmup, IO);
    }

    /**
     * The liveness check {@code check} names ({@code Auto} must be resolved first, see
     * {@link dev.actorrunner.config.RunnerSettings#liveness()}), each bounded by {@code timeout};
     * null for {@code Off}.
     */
    public static HealthProbe forHealth(Health.Check check, Duration timeout) {
        if (check instanceof Health.Check.Tcp) {
            return process -> answered(() -> TcpCheck.problem(process.port(), timeout), timeout, IO);
        }
        if (check instanceof Health.Check.Http http) {
            return process -> answered(() -> HttpCheck.problem(process.port(), http.path(), timeout), timeout, IO);
        }
        return null;
    }

    /** How a check is named in log lines: "tcp check", "GET /health". */
    public static String describe(Health.Check check) {
        return check instanceof Health.Check.Http http ? "GET " + http.path() : "tcp check";
    }

    /** Runs {@code check} on {@code io}; an exception is its message, and no answer within {@code bound} is said so. */
    static CompletionStage<Optional<String>> answered(Callable<Optional<String>> check, Duration bound, Executor io) {
        CompletableFuture<Optional<String>> result = new CompletableFuture<>();
        try {
            io.execute(() -> {
                try {
                    result.complete(check.call());
                } catch (Exception e) {
                    result.complete(Optional.of(TcpCheck.describe(e, bound)));
                }
            });
            // A hung connect or read is bounded by the socket's timeouts; this bounds the executor's backlog too.
            CompletableFuture.delayedExecutor(bound.toMillis() * 2, TimeUnit.MILLISECONDS, io)
                    .execute(() -> result.complete(Optional.of("no answer within " + seconds(bound))));
        } catch (RuntimeException rejected) {
            result.complete(Optional.of("not checked: " + rejected.getMessage()));
        }
        return result;
    }

    static String seconds(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }

    /**
     * Whether the listener on the worker's port is the worker's (or /proc cannot tell): one held
     * by another process is said once per worker, and the worker stays "starting" until it is
     * ready for real or ready-timeout kills it.
     */
    private static boolean owns(WorkerProcess process) {
        if (ListenerOwner.of(process.port(), process.pid()) != ListenerOwner.Verdict.NOT_OWNED) return true;
        if (WARNED.add(process.pid())) {
            log.warn("pid {}: port {} answers, but the listener is not the worker's nor its children's: not ready"
                    + " (two runners sharing worker-ports? an app behind a proxy process of its own: ready-owner-check = off)",
                    process.pid(), process.port());
        }
        return false;
    }

    /** Runs {@code check} on {@code io}; any exception, or no answer within the bound, is false. */
    static CompletionStage<Boolean> bounded(Callable<Boolean> check, Executor io) {
        CompletableFuture<Boolean> result = new CompletableFuture<>();
        try {
            io.execute(() -> {
                try {
                    result.complete(check.call());
                } catch (Exception e) {
                    result.complete(false);
                }
            });
            // Completed on io, not on the JDK's shared timer thread, so callers' continuations
            // cannot stall every other timeout in the JVM.
            CompletableFuture.delayedExecutor(CHECK_BOUND.toMillis(), TimeUnit.MILLISECONDS, io)
                    .execute(() -> result.complete(false));
        } catch (RuntimeException rejected) {
            result.complete(false);
        }
        return result;
    }

    private static ThreadFactory daemonThreads() {
        AtomicInteger count = new AtomicInteger();
        return task -> {
            Thread thread = new Thread(task, "actor-runner-probe-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
