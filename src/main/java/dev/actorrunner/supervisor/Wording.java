package dev.actorrunner.supervisor;

import java.time.Duration;
import org.slf4j.event.Level;

/**
 * The parts of the runner's log lines and reasons that are built from several values. Tests, the
 * integration tests and the README quote these words: a change here is a change users see.
 */
public final class Wording {
    private Wording() {}

    /** A format and its level: the lines whose level depends on what happened. */
    public record Line(Level level, String format) {}

    /** What became of a worker that was not stopped by us: "exited with exit code 3", "could not start: ...". */
    public static String exit(Worker.Exited e, Duration readyTimeout) {
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
    public static Line crashed(Worker.Exited e) {
        return e.status().killedBySigkill() && e.cause() == Worker.Cause.CRASHED
                ? new Line(Level.ERROR, "{} {} (the kernel's OOM killer, or a kill from outside?)")
                : new Line(Level.WARN, "{} {}");
    }

    /** The reason of boot.failed and of the BootFailed event. */
    public static String bootFailed(int failures, String lastExit) {
        return "app failed to start " + failures + " time(s) in a row, last: " + lastExit;
    }
}
