package dev.actorrunner.supervisor;

import dev.actorrunner.config.RunnerSettings;
import dev.actorrunner.probe.HealthProbe;
import dev.actorrunner.probe.ReadinessProbe;
import dev.actorrunner.process.ExitStatus;
import dev.actorrunner.process.LaunchException;
import dev.actorrunner.process.LaunchSpec;
import dev.actorrunner.process.ProcessLauncher;
import dev.actorrunner.process.WorkerProcess;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** A launcher whose processes the test scripts: it decides when they are ready and when they die. */
public final class FakeLauncher implements ProcessLauncher {
    public final List<FakeProcess> launched = new CopyOnWriteArrayList<>();
    public volatile boolean failLaunches;
    public volatile boolean newProcessesIgnoreTerm;
    public volatile boolean closed;
    public volatile boolean probesThrow;
    /** A slow fork: launches complete only when the test calls {@link #finishHeldLaunches()}. */
    public volatile boolean holdLaunches;
    private final Queue<Runnable> held = new ConcurrentLinkedQueue<>();
    private final AtomicInteger pids = new AtomicInteger(1000);

    public FakeLauncher(RunnerSettings.PortRange ignored) {}

    public FakeLauncher() {}

    /** Readiness of a fake: the check completes when the test calls {@link FakeProcess#becomeReady()}. */
    public static ReadinessProbe probe() {
        return p -> {
            FakeProcess fake = (FakeProcess) p;
            fake.checks.incrementAndGet();
            if (fake.probeThrows) throw new IllegalStateException("probe bug");
            return fake.ready;
        };
    }

    /** Readiness that answers each check at once: true once the test made the process ready, else false. */
    static ReadinessProbe answeringProbe() {
        return p -> {
            FakeProcess fake = (FakeProcess) p;
            fake.checks.incrementAndGet();
            return CompletableFuture.completedFuture(fake.ready.isDone());
        };
    }

    /**
     * Liveness of a fake: each check answers at once, with the process's {@link FakeProcess#problem}
     * (empty while it is healthy), or when the test completes {@link FakeProcess#nextCheck}.
     */
    public static HealthProbe health() {
        return p -> {
            FakeProcess fake = (FakeProcess) p;
            fake.liveChecks.incrementAndGet();
            CompletableFuture<Optional<String>> held = fake.nextCheck;
            fake.nextCheck = null;
            return held != null ? held : CompletableFuture.completedFuture(Optional.ofNullable(fake.problem));
        };
    }

    @Override
    public CompletionStage<WorkerProcess> launch(LaunchSpec spec) {
        if (failLaunches) {
            return CompletableFuture.failedFuture(new LaunchException("cannot start \"app\": boom", null));
        }
        if (holdLaunches) {
            CompletableFuture<WorkerProcess> later = new CompletableFuture<>();
            held.add(() -> later.complete(start(spec)));
            return later;
        }
        return CompletableFuture.completedFuture(start(spec));
    }

    private FakeProcess start(LaunchSpec spec) {
        int pid = pids.incrementAndGet();
        FakeProcess p = new FakeProcess(spec, pid, 20000 + spec.workerId(), newProcessesIgnoreTerm);
        p.probeThrows = probesThrow;
        launched.add(p);
        return p;
    }

    /** Launches asked for while {@link #holdLaunches} and not yet finished. */
    int heldLaunches() {
        return held.size();
    }

    /** Completes the held launches: their processes now run. */
    void finishHeldLaunches() {
        for (Runnable r; (r = held.poll()) != null; ) r.run();
    }

    @Override
    public void close() {
        closed = true;
    }

    public FakeProcess worker(int workerId) {
        return launched.stream().filter(p -> p.spec.workerId() == workerId).findFirst()
                .orElseThrow(() -> new AssertionError("worker " + workerId + " was never launched"));
    }

    /** Processes that are ready, alive and not asked to stop: what clients could reach. */
    public long serving() {
        return launched.stream()
                .filter(p -> p.ready.isDone() && p.isAlive() && p.terms.get() == 0 && p.kills.get() == 0)
                .count();
    }

    public static final class FakeProcess implements WorkerProcess {
        public final LaunchSpec spec;
        public final long pid;
        public final int port;
        public final boolean ignoresTerm;
        public final CompletableFuture<Boolean> ready = new CompletableFuture<>();
        public final CompletableFuture<ExitStatus> exit = new CompletableFuture<>();
        public final AtomicInteger terms = new AtomicInteger();
        public final AtomicInteger kills = new AtomicInteger();
        /** Readiness checks made of this process. */
        public final AtomicInteger checks = new AtomicInteger();
        public volatile boolean probeThrows;
        /** Liveness checks made of this process, and what the next ones say: null while it is healthy. */
        public final AtomicInteger liveChecks = new AtomicInteger();
        public volatile String problem;
        /** When set, the next liveness check answers when the test completes this. */
        public volatile CompletableFuture<Optional<String>> nextCheck;
        /** What a memory measurement reads. */
        public volatile long rss = 100L << 20;
        /** The dump signals it was sent, in order, and how many of those dumps were finished. */
        public final List<String> dumps = new CopyOnWriteArrayList<>();
        public final AtomicInteger dumpsFinished = new AtomicInteger();

        FakeProcess(LaunchSpec spec, long pid, int port, boolean ignoresTerm) {
            this.spec = spec;
            this.pid = pid;
            this.port = port;
            this.ignoresTerm = ignoresTerm;
        }

        public void becomeReady() {
            ready.complete(true);
        }

        public void crash(int code) {
            exit.complete(new ExitStatus(code));
        }

        @Override public long pid() { return pid; }
        @Override public int port() { return port; }
        @Override public boolean isAlive() { return !exit.isDone(); }
        @Override public CompletionStage<ExitStatus> exited() { return exit; }
        @Override public CompletionStage<Void> readyLine() { return new CompletableFuture<>(); }
        @Override public CompletionStage<Long> rssBytes() { return CompletableFuture.completedFuture(rss); }

        @Override
        public Dump dump(String signal, Path dir) {
            dumps.add(signal);
            AtomicInteger once = new AtomicInteger();
            return () -> {
                if (once.getAndIncrement() == 0) dumpsFinished.incrementAndGet();
            };
        }

        @Override
        public void terminate() {
            terms.incrementAndGet();
            if (!ignoresTerm) exit.complete(new ExitStatus(143));
        }

        @Override
        public void kill() {
            kills.incrementAndGet();
            exit.complete(new ExitStatus(137));
        }
    }
}
