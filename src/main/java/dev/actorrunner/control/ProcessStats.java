package dev.actorrunner.control;

import dev.actorrunner.process.ProcessTrees;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Memory and CPU of process trees (a worker and everything it started), as {@code status} shows
 * them. RSS is the sum of {@code VmRSS} in /proc (Linux; -1 elsewhere); CPU% is the CPU time the
 * tree used between two samples {@code window} apart, over that wall time (100 = one core busy),
 * like top. The reads of /proc run on the executor given, never on an actor's thread.
 */
final class ProcessStats {

    /** @param rssBytes resident memory, -1 if unknown; @param cpuPercent -1 if unknown */
    record Usage(long rssBytes, double cpuPercent) {
        static final Usage UNKNOWN = new Usage(-1, -1);
    }

    private ProcessStats() {}

    /** The usage of each pid's tree, and of the process {@code self} alone (the runner, whose tree holds the workers). */
    record Sample(Map<Long, Usage> trees, Usage self) {}

    /**
     * Samples the trees over {@code window} on {@code executor}, without blocking anyone: the CPU
     * times are read once now and once when the window has passed.
     */
    static CompletableFuture<Sample> sample(Collection<Long> trees, long self, Duration window,
                                            ScheduledExecutorService executor) {
        CompletableFuture<Sample> sample = new CompletableFuture<>();
        executor.execute(() -> guarded(sample, () -> {
            Map<Long, Long> before = new HashMap<>();
            for (long pid : trees) before.put(pid, treeCpuNanos(pid));
            long selfBefore = cpuNanos(self);
            long start = System.nanoTime();
            executor.schedule(() -> guarded(sample, () -> {
                long wall = System.nanoTime() - start;
                Map<Long, Usage> usage = new HashMap<>();
                for (long pid : trees) {
                    usage.put(pid, new Usage(ProcessTrees.rssBytes(pid), percent(before.get(pid), treeCpuNanos(pid), wall)));
                }
                sample.complete(new Sample(usage, new Usage(ProcessTrees.rss(self), percent(selfBefore, cpuNanos(self), wall))));
            }), window.toNanos(), TimeUnit.NANOSECONDS);
        }));
        return sample;
    }

    /** A sample that cannot be taken fails, rather than leaving its reader waiting. */
    private static void guarded(CompletableFuture<Sample> sample, Runnable step) {
        try {
            step.run();
        } catch (RuntimeException e) {
            sample.completeExceptionally(e);
        }
    }

    private static double percent(long before, long after, long wallNanos) {
        return before < 0 || after < 0 ? -1 : Math.max(0, after - before) * 100.0 / wallNanos;
    }

    private static long treeCpuNanos(long pid) {
        List<Long> tree = ProcessTrees.of(pid);
        if (tree.isEmpty()) return -1;
        long sum = 0;
        for (long p : tree) sum += Math.max(0, cpuNanos(p));
        return sum;
    }

    private static long cpuNanos(long pid) {
        return ProcessHandle.of(pid).flatMap(p -> p.info().totalCpuDuration()).map(Duration::toNanos).orElse(-1L);
    }
}
