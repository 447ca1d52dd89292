package dev.actorrunner.process;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * A worker started by {@link OsProcessLauncher}. Signals go through the {@link ProcessHandle}, never
 * {@link Process#destroy()}: that also closes our ends of the pipes and the last lines are lost.
 */
final class OsWorkerProcess implements WorkerProcess {

    /**
     * How long after exit we wait for EOF on stdout and stderr. A grandchild that inherited the
     * pipes keeps them open; its group is SIGKILLed at exit, but one that left the group (its own
     * setsid) can hold them forever.
     */
    static final Duration OUTPUT_GRACE = Duration.ofSeconds(2);

    private final Process process;
    private final int port;
    private final boolean leadsGroup;
    private final CompletableFuture<Void> readyLine = new CompletableFuture<>();
    private final CompletableFuture<ExitStatus> exited;
    private final LaunchSpec spec;
    /** The dump being recorded, if any: the output readers hand it each line. */
    private volatile DumpFile dump;

    /**
     * Starts reading the output at once (before anyone could miss a line).
     *
     * @param leadsGroup  the worker leads its own process group (it was started under setsid), so
     *                    the group may be SIGKILLed as a whole
     * @param afterExit   runs once the worker exited and its group was killed, before
     *                    {@link #exited()} completes (deregisters the group, frees the port)
     */
    OsWorkerProcess(Process process, LaunchSpec spec, int port, boolean leadsGroup, Runnable afterExit) {
        this.process = process;
        this.spec = spec;
        this.port = port;
        this.leadsGroup = leadsGroup;
        CompletableFuture<Void> outputDone = pumpOutput(spec);
        this.exited = process.onExit()
                .thenComposeAsync(p -> cleanUp(outputDone, afterExit), ProcessThreads.EVENTS)
                // Hop off the JDK's shared timer thread when the grace ran out.
                .handleAsync((ignored, failure) -> new ExitStatus(process.exitValue()), ProcessThreads.EVENTS);
    }

    /** Both streams, each on its own thread; the stage completes at EOF of both. */
    private CompletableFuture<Void> pumpOutput(LaunchSpec spec) {
        long pid = process.pid();
        Consumer<String> ready = spec.readyLine().map(this::matcher).orElse(line -> {});
        String tag = "worker " + spec.workerId() + " pid " + pid;
        String thread = "worker-" + spec.workerId();
        return CompletableFuture.allOf(
                OutputPump.start(process.getInputStream(), thread + "-stdout", "[" + tag + "] ",
                        mdc(spec, pid, "stdout"), ready.andThen(line -> record("stdout", line))),
                OutputPump.start(process.getErrorStream(), thread + "-stderr", "[" + tag + " stderr] ",
                        mdc(spec, pid, "stderr"), ready.andThen(line -> record("stderr", line))));
    }

    private void record(String stream, String line) {
        DumpFile d = dump;
        if (d != null) d.add(stream, line);
    }

    /** After the exit, on an EVENTS thread: kill the leftovers, release, await the output (bounded). */
    private CompletableFuture<Void> cleanUp(CompletableFuture<Void> outputDone, Runnable afterExit) {
        CompletableFuture<Void> bounded = outputDone
                .completeOnTimeout(null, OUTPUT_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        // Leftover grandchildren die now; that usually also brings the pipes' EOF.
        if (leadsGroup) ProcessGroups.kill(process.pid());
        afterExit.run();
        return bounded;
    }

    @Override
    public long pid() {
        return process.pid();
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public void terminate() {
        process.toHandle().destroy();
    }

    @Override
    public void kill() {
        ProcessThreads.EVENTS.execute(() -> {
            // Collected first: once the worker is dead its children are reparented to init and are
            // no longer its descendants. The group kill catches what was forked after the walk.
            List<ProcessHandle> descendants = process.descendants().toList();
            process.toHandle().destroyForcibly();
            descendants.forEach(ProcessHandle::destroyForcibly);
            if (leadsGroup) ProcessGroups.kill(process.pid());
        });
    }

    @Override
    public boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public CompletionStage<ExitStatus> exited() {
        return exited;
    }

    @Override
    public CompletionStage<Void> readyLine() {
        return readyLine;
    }

    @Override
    public CompletionStage<Long> rssBytes() {
        return CompletableFuture.supplyAsync(() -> ProcessTrees.rssBytes(process.pid()), ProcessThreads.EVENTS);
    }

    @Override
    public Dump dump(String signal, Path dir) {
        long pid = process.pid();
        DumpFile file = new DumpFile("worker " + spec.workerId() + " (pid " + pid + ", gen " + spec.generation() + ")",
                spec.workerId(), pid, dir, signal, mdc(spec, pid, "dump"));
        dump = file; // before the signal: the first line of the dump must not be missed
        ProcessThreads.EVENTS.execute(() -> ProcessGroups.signal(signal, pid));
        return () -> {
            if (dump == file) dump = null;
            file.finish();
        };
    }

    @Override
    public String toString() {
        return "worker process pid " + process.pid() + " port " + port;
    }

    private Consumer<String> matcher(Pattern pattern) {
        // Both reader threads may match at once: complete() is idempotent.
        return line -> {
            if (!readyLine.isDone() && pattern.matcher(line).find()) readyLine.complete(null);
        };
    }

    private static Map<String, String> mdc(LaunchSpec spec, long pid, String stream) {
        return Map.of("worker", String.valueOf(spec.workerId()),
                "generation", String.valueOf(spec.generation()),
                "pid", String.valueOf(pid),
                "stream", stream);
    }
}
