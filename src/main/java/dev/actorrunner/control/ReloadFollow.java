package dev.actorrunner.control;

import dev.actorrunner.RunnerEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * What {@code reload --wait} prints of the runner's events for reload {@code target}: a line per
 * step, then the outcome. Pure: the session feeds it events and writes what it returns.
 *
 * <p>The reload is over when it completed (every worker of the old generations has exited) or was
 * aborted, or when the runner stopped first. A reload queued behind a running one is followed from
 * its start; the running one's end is said in one line.
 */
final class ReloadFollow {

    /** The answer to one event: progress (one or more lines), and whether it ended the reload (ok or not). */
    record Said(Optional<String> progress, Optional<Outcome> outcome) {
        static final Said NOTHING = new Said(Optional.empty(), Optional.empty());

        static Said progress(String line) {
            return new Said(Optional.of(line), Optional.empty());
        }

        static Said end(boolean ok, String message) {
            return new Said(Optional.empty(), Optional.of(new Outcome(ok, message)));
        }
    }

    /** How the reload ended, for the last line (and the client's exit code). */
    record Outcome(boolean ok, String message) {}

    private final int target;
    private boolean started;

    /** @param started true when the reload already runs; false when it is queued behind another */
    ReloadFollow(int target, boolean started) {
        this.target = target;
        this.started = started;
    }

    Said on(RunnerEvent event) {
        if (event instanceof RunnerEvent.ReloadStarted e && e.generation() == target) {
            List<String> lines = new ArrayList<>();
            if (!started) lines.add("reload " + target + " started");
            started = true;
            lines.addAll(e.changes()); // one line per setting it changes
            e.app().ifPresent(jar -> lines.add("app jar " + jar.path()
                    + (jar.sha256().isEmpty() ? ": " + jar.problem() : " sha256 " + jar.sha256())));
            return lines.isEmpty() ? Said.NOTHING : Said.progress(String.join("\n", lines));
        }
        if (event instanceof RunnerEvent.ReloadCompleted e) {
            if (e.generation() == target) {
                return Said.end(true, "reload " + target + " completed in " + seconds(e.took()) + " (serving after "
                        + seconds(e.serving()) + "): " + e.replaced() + " worker(s) replaced");
            }
            return Said.progress("reload " + e.generation() + " completed; reload " + target + " follows");
        }
        if (event instanceof RunnerEvent.ReloadAborted e) {
            if (e.generation() == target) return Said.end(false, "reload " + target + " aborted: " + e.reason());
            return Said.progress("reload " + e.generation() + " aborted; reload " + target + " follows");
        }
        if (event instanceof RunnerEvent.Stopped) {
            return Said.end(false, "the runner stopped before reload " + target + " ended");
        }
        return started ? step(event) : Said.NOTHING;
    }

    /** The last line when the runner's process ends before the reload did. */
    String runnerGone() {
        return "the runner exited before reload " + target + " ended";
    }

    private Said step(RunnerEvent event) {
        if (event instanceof RunnerEvent.WorkerStarted e && e.generation() == target) {
            return Said.progress("worker " + e.workerId() + " started (pid " + e.pid() + ")");
        }
        if (event instanceof RunnerEvent.ReloadStep e && e.generation() == target) {
            return Said.progress(line(e));
        }
        if (event instanceof RunnerEvent.ReloadServing e && e.generation() == target) {
            return Said.progress("reload " + target + " serving after " + seconds(e.took()) + ": every worker in rotation"
                    + " is new" + (e.oldWorkers() == 0 ? "" : "; waiting for " + e.oldWorkers() + " old worker(s) to exit"));
        }
        if (event instanceof RunnerEvent.WorkerExited e && !e.expected()) {
            return Said.progress("worker " + e.workerId() + " failed: " + e.description());
        }
        if (event instanceof RunnerEvent.WorkerExited e && e.generation() < target) {
            return Said.progress("worker " + e.workerId() + " exited (" + e.description() + ")");
        }
        return Said.NOTHING;
    }

    /** A step as the client reads it: the log's words, with seconds to a tenth and without the count. */
    private static String line(RunnerEvent.ReloadStep e) {
        String drains = e.draining().stream().map(id -> ", draining worker " + id).reduce("", String::concat);
        return switch (e.kind()) {
            case READY -> "worker " + e.workerId() + " ready in " + seconds(e.up()) + drains;
            case SETTLING -> "worker " + e.workerId() + " ready in " + seconds(e.up()) + ", settling for "
                    + seconds(e.settle());
            case SETTLED -> "worker " + e.workerId() + " settled, up " + seconds(e.up()) + drains;
            case DRAINING -> drains.substring(2);
        };
    }

    static String seconds(Duration d) {
        return String.format(Locale.ROOT, "%.1fs", d.toMillis() / 1000.0);
    }
}
