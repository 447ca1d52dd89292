package dev.actorrunner.supervisor;

import java.time.Duration;
import java.util.List;
import org.slf4j.event.Level;

/**
 * The parts of the Master's log lines and reasons that are built from several values. Tests, the
 * integration tests and the README quote these words: a change here is a change users see.
 */
final class Wording {
    private Wording() {}

    /** A format and its level: the lines whose level depends on what happened. */
    record Line(Level level, String format) {}

    /** What became of a worker that was not stopped by us: "exited with exit code 3", "could not start: ...". */
    static String exit(Worker.Exited e, Duration readyTimeout) {
        return switch (e.cause()) {
            case LAUNCH_FAILED -> "could not start: " + e.reason();
            case NOT_READY -> "not ready within " + Human.duration(readyTimeout) + ": killed";
            case CRASHED, STOPPED -> "exited with " + e.reason();
        };
    }

    /**
     * worker.crashed, with the worker and {@link #exit} as arguments: killed by a SIGKILL we did not
     * send is an error that names the likely sender, anything else a warning.
     */
    static Line crashed(Worker.Exited e) {
        return e.status().killedBySigkill() && e.cause() == Worker.Cause.CRASHED
                ? new Line(Level.ERROR, "{} {} (the kernel's OOM killer, or a kill from outside?)")
                : new Line(Level.WARN, "{} {}");
    }

    /** The reason of boot.failed and of the BootFailed event. */
    static String bootFailed(int failures, String lastExit) {
        return "app failed to start " + failures + " time(s) in a row, last: " + lastExit;
    }

    /** The old workers a reload step retired, as reload.progress lists them: ", draining worker 2". */
    static String draining(List<Entry> retired) {
        return retired.stream().map(w -> ", draining worker " + w.id).reduce("", String::concat);
    }
}
