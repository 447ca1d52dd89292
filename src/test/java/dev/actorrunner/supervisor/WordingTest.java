package dev.actorrunner.supervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.actorrunner.process.ExitStatus;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

/** The words users and the README quote, letter for letter. */
class WordingTest {
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(10);

    private static Worker.Exited exited(int code, Worker.Cause cause, String reason) {
        return new Worker.Exited(5, 1005, new ExitStatus(code), cause, reason);
    }

    @Test
    void anExitSaysWhetherTheWorkerCrashedNeverStartedOrWasNotReadyInTime() {
        assertEquals("exited with exit code 3",
                Wording.exit(exited(3, Worker.Cause.CRASHED, "exit code 3"), READY_TIMEOUT));
        assertEquals("could not start: cannot start \"app\": boom",
                Wording.exit(exited(-1, Worker.Cause.LAUNCH_FAILED, "cannot start \"app\": boom"), READY_TIMEOUT));
        assertEquals("not ready within 10s: killed",
                Wording.exit(exited(137, Worker.Cause.NOT_READY, "signal 9 (KILL)"), READY_TIMEOUT));
    }

    @Test
    void aSigkillWeDidNotSendIsAnErrorThatNamesTheLikelySender() {
        Wording.Line line = Wording.crashed(exited(137, Worker.Cause.CRASHED, "signal 9 (KILL)"));
        assertEquals(Level.ERROR, line.level());
        assertEquals("{} {} (the kernel's OOM killer, or a kill from outside?)", line.format());
    }

    @Test
    void anyOtherFailureIsAWarning() {
        Wording.Line ours = Wording.crashed(exited(137, Worker.Cause.NOT_READY, "signal 9 (KILL)"));
        Wording.Line exit = Wording.crashed(exited(1, Worker.Cause.CRASHED, "exit code 1"));
        assertEquals(new Wording.Line(Level.WARN, "{} {}"), ours);
        assertEquals(new Wording.Line(Level.WARN, "{} {}"), exit);
    }

    @Test
    void bootFailedCountsTheFailuresAndQuotesTheLast() {
        assertEquals("app failed to start 3 time(s) in a row, last: exited with exit code 3",
                Wording.bootFailed(3, "exited with exit code 3"));
    }
}
