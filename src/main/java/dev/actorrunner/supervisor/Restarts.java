package dev.actorrunner.supervisor;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The Master's crash bookkeeping: how many workers crashed, the backoff before the next
 * replacement, the restart count each replacement inherits from its crashed predecessor, and when
 * to give up because the app does not boot (boot-failure-limit failures in a row before any worker
 * was ever ready). The Master owns the timers and the log lines; this class only decides.
 */
public final class Restarts {
    private Backoff backoff;
    private int bootFailureLimit;
    /** Restart counts for the next forks: one entry per crashed worker not yet replaced. */
    private final Deque<Integer> lines = new ArrayDeque<>();
    private int crashes;
    private boolean everReady;
    private int bootFailures;

    /** @param bootFailureLimit failures in a row before any worker was ever ready that end the runner; 0 = never */
    public Restarts(Duration backoffMin, Duration backoffMax, int bootFailureLimit) {
        this.backoff = new Backoff(backoffMin, backoffMax);
        this.bootFailureLimit = bootFailureLimit;
    }

    /**
     * New bounds for the backoff and the boot-failure limit (a reload brought new settings); the
     * failures in a row counted so far still count.
     */
    public void use(Duration backoffMin, Duration backoffMax, int bootFailureLimit) {
        Backoff next = new Backoff(backoffMin, backoffMax);
        for (int i = 0; i < backoff.failures(); i++) next.next();
        this.backoff = next;
        this.bootFailureLimit = bootFailureLimit;
    }

    /** A worker became ready: the app boots, so boot failures no longer end the runner. */
    public void ready() {
        everReady = true;
        bootFailures = 0;
    }

    /**
     * A worker crashed (not stopped by us) after {@code restarts} restarts of its line: the fork that
     * replaces it inherits restarts + 1.
     *
     * @return true when this was the boot-failure limit's failure in a row before any worker was
     *         ever ready: the runner should stop rather than retry
     */
    public boolean crashed(int restarts) {
        crashes++;
        lines.add(restarts + 1);
        return !everReady && ++bootFailures >= bootFailureLimit && bootFailureLimit > 0;
    }

    /**
     * A worker that had not yet served for backoff-reset is replaced for failing its checks: the fork
     * that replaces it inherits restarts + 1, as a crashed worker's would (it is not counted as a crash).
     */
    public void replacing(int restarts) {
        lines.add(restarts + 1);
    }

    /** Records one more failure in a row and returns how long to wait before replacing it. */
    public Duration nextDelay() {
        return backoff.next();
    }

    /** Failures in a row since the last stable run (for the log line). */
    public int failuresInRow() {
        return backoff.failures();
    }

    /**
     * A worker stayed up for backoff-reset: the next crash is replaced after the minimum delay again.
     *
     * @return false when there was nothing to reset (no failure since the last reset)
     */
    public boolean stable() {
        if (backoff.failures() == 0) return false;
        backoff.reset();
        return true;
    }

    /** The restart count of the worker forked now: that of a crashed one it replaces, else 0. */
    public int nextFork() {
        Integer restarts = lines.poll();
        return restarts == null ? 0 : restarts;
    }

    /** A round of forks is done: crashed workers that no fork replaced (a scale down came first) start no line. */
    public void forkedAll() {
        lines.clear();
    }

    /** Workers that crashed since the start (status). */
    public int crashes() {
        return crashes;
    }

    /** Boot failures in a row so far (for the boot-failed line). */
    public int bootFailures() {
        return bootFailures;
    }
}
