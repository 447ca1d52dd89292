package dev.actorrunner;

import dev.actorrunner.supervisor.Rollout;
import java.time.Instant;
import java.util.Optional;

/** What status shows of the reloads that ran: the totals, and how the last one ended. */
final class ReloadHistory {
    private int started;
    private int completed;
    private int aborted;
    private Optional<RunnerStatus.ReloadResult> last = Optional.empty();

    void started() {
        started++;
    }

    void completed(Rollout r) {
        completed++;
        last = Optional.of(new RunnerStatus.ReloadResult(r.generation(), true, Instant.now(), r.elapsed(),
                r.replaced(), "", r.servingAfter()));
    }

    void aborted(Rollout r, String reason) {
        aborted++;
        last = Optional.of(new RunnerStatus.ReloadResult(r.generation(), false, Instant.now(), r.elapsed(),
                r.replaced(), reason, Optional.empty()));
    }

    Optional<RunnerStatus.ReloadResult> last() {
        return last;
    }

    RunnerStatus.ReloadTotals totals() {
        return new RunnerStatus.ReloadTotals(started, completed, aborted);
    }

    /** The running reload as status shows it. */
    static Optional<RunnerStatus.ReloadProgress> progress(Rollout r) {
        return r.running() ? Optional.of(new RunnerStatus.ReloadProgress(r.generation(), r.startedAt(),
                r.toReplace(), r.replaced(), r.servingAfter())) : Optional.empty();
    }
}
